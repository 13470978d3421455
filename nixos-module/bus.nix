# The helper's D-Bus policy and activation file, and the polkit rule for the
# launcher's per-user unit.
{ config, lib, pkgs, ... }:
let
  cfg = config.services.cursorProxy;
  busName = "org.cursorproxy.Helper1";
  allowMember = member: ''<allow send_destination="${busName}" send_interface="${busName}" send_member="${member}"/>'';

  # Only root owns the name; everyone may read status; allowedGroup may call
  # Up and Down. The helper checks the caller's credentials again itself.
  policy = pkgs.writeTextFile {
    name = "cursor-proxy-dbus-policy";
    destination = "/share/dbus-1/system.d/${busName}.conf";
    text = ''
      <?xml version="1.0"?>
      <!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
       "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
      <busconfig>
        <policy user="root">
          <allow own="${busName}"/>
          <allow send_destination="${busName}"/>
        </policy>
        <policy context="default">
          <deny own="${busName}"/>
          <allow send_destination="${busName}" send_interface="org.freedesktop.DBus.Introspectable"/>
          <allow send_destination="${busName}" send_interface="org.freedesktop.DBus.Peer"/>
          <allow send_destination="${busName}" send_interface="org.freedesktop.DBus.Properties" send_member="Get"/>
          <allow send_destination="${busName}" send_interface="org.freedesktop.DBus.Properties" send_member="GetAll"/>
          ${allowMember "GetStatus"}
        </policy>
        <policy group="${cfg.allowedGroup}">
          ${allowMember "Up"}
          ${allowMember "Down"}
        </policy>
      </busconfig>
    '';
  };

  activation = pkgs.writeTextFile {
    name = "cursor-proxy-dbus-activation";
    destination = "/share/dbus-1/system-services/${busName}.service";
    text = ''
      [D-BUS Service]
      Name=${busName}
      Exec=${pkgs.coreutils}/bin/false
      User=root
      SystemdService=cursor-proxy-helper.service
    '';
  };
in
{
  config = lib.mkIf cfg.enable {
    services.dbus.packages = [ policy activation ];

    security.polkit.enable = true;
    security.polkit.extraConfig = ''
      // cursor-proxy: a member of ${cfg.allowedGroup} may start and stop
      // Cursor in the proxy's namespace as themselves, and nothing else.
      polkit.addRule(function(action, subject) {
        if (action.id == "org.freedesktop.systemd1.manage-units" &&
            action.lookup("unit") == "cursor-proxy-cursor@" + subject.user + ".service" &&
            ["start", "stop", "restart"].indexOf(action.lookup("verb")) >= 0 &&
            subject.isInGroup("${cfg.allowedGroup}")) {
          return polkit.Result.YES;
        }
      });
    '';
  };
}
