# Stand-in declarations of the NixOS options our module sets, with NixOS'
# names and types, and systemd.units rendered from systemd.services the way
# nixos/lib/systemd-lib.nix does (sorted keys, lists as repeated lines,
# booleans as true/false, [Install] replaced by wantedBy symlinks).
{ config, lib, pkgs, ... }:
let
  inherit (lib) mkOption types;
  b = builtins;
  atom = types.oneOf [ types.bool types.int types.str types.path types.package ];
  unitOption = types.either atom (types.listOf atom);
  showValue = v: if b.isBool v then lib.boolToString v else toString v;
  section = attrs: lib.concatMapStrings
    (k: let v = attrs.${k}; in lib.concatMapStrings (x: "${k}=${showValue x}\n") (if b.isList v then v else [ v ]))
    (b.attrNames attrs);
  depends = s: lib.filterAttrs (_: v: v != [ ]) {
    After = s.after; Before = s.before; Wants = s.wants; Requires = s.requires;
    BindsTo = s.bindsTo; PartOf = s.partOf; Conflicts = s.conflicts;
  };
  render = s:
    "[Unit]\n"
    + lib.optionalString (s.description != "") "Description=${s.description}\n"
    + section (b.mapAttrs (_: lib.concatStringsSep " ") (depends s))
    + section s.unitConfig
    + "\n[Service]\n"
    + lib.concatMapStrings (k: "Environment=\"${k}=${s.environment.${k}}\"\n") (b.attrNames s.environment)
    + section s.serviceConfig;
  serviceOptions = { name, ... }: {
    options = {
      enable = mkOption { type = types.bool; default = true; };
      description = mkOption { type = types.str; default = ""; };
      wantedBy = mkOption { type = types.listOf types.str; default = [ ]; };
      requiredBy = mkOption { type = types.listOf types.str; default = [ ]; };
      after = mkOption { type = types.listOf types.str; default = [ ]; };
      before = mkOption { type = types.listOf types.str; default = [ ]; };
      wants = mkOption { type = types.listOf types.str; default = [ ]; };
      requires = mkOption { type = types.listOf types.str; default = [ ]; };
      bindsTo = mkOption { type = types.listOf types.str; default = [ ]; };
      partOf = mkOption { type = types.listOf types.str; default = [ ]; };
      conflicts = mkOption { type = types.listOf types.str; default = [ ]; };
      unitConfig = mkOption { type = types.attrsOf unitOption; default = { }; };
      serviceConfig = mkOption { type = types.attrsOf unitOption; default = { }; };
      environment = mkOption { type = types.attrsOf types.str; default = { }; };
      restartIfChanged = mkOption { type = types.bool; default = true; };
    };
  };
  userOptions = { name, ... }: {
    options = {
      isSystemUser = mkOption { type = types.bool; default = false; };
      isNormalUser = mkOption { type = types.bool; default = false; };
      group = mkOption { type = types.str; default = ""; };
      extraGroups = mkOption { type = types.listOf types.str; default = [ ]; };
      description = mkOption { type = types.str; default = ""; };
      home = mkOption { type = types.path; default = "/var/empty"; };
      createHome = mkOption { type = types.bool; default = false; };
    };
  };
  groupOptions = { name, ... }: {
    options = {
      gid = mkOption { type = types.nullOr types.int; default = null; };
      members = mkOption { type = types.listOf types.str; default = [ ]; };
    };
  };
  unitOptions = { name, ... }: {
    options = {
      text = mkOption { type = types.str; };
      unit = mkOption { type = types.package; };
      wantedBy = mkOption { type = types.listOf types.str; default = [ ]; };
    };
  };
in
{
  options = {
    assertions = mkOption { type = types.listOf types.anything; default = [ ]; };
    warnings = mkOption { type = types.listOf types.str; default = [ ]; };
    boot.isContainer = mkOption { type = types.bool; default = false; };
    system.stateVersion = mkOption { type = types.str; default = "25.05"; };
    environment.systemPackages = mkOption { type = types.listOf types.package; default = [ ]; };
    users.users = mkOption { type = types.attrsOf (types.submodule userOptions); default = { }; };
    users.groups = mkOption { type = types.attrsOf (types.submodule groupOptions); default = { }; };
    services.dbus.packages = mkOption { type = types.listOf types.path; default = [ ]; };
    security.pki.certificateFiles = mkOption { type = types.listOf types.path; default = [ ]; };
    security.pki.certificates = mkOption { type = types.listOf types.str; default = [ ]; };
    security.polkit.enable = mkOption { type = types.bool; default = false; };
    security.polkit.extraConfig = mkOption { type = types.lines; default = ""; };
    systemd.services = mkOption { type = types.attrsOf (types.submodule serviceOptions); default = { }; };
    systemd.units = mkOption { type = types.attrsOf (types.submodule unitOptions); default = { }; };
  };

  config.systemd.units = lib.mapAttrs'
    (name: s: {
      name = "${name}.service";
      value = rec {
        text = render s;
        unit = pkgs.writeTextDir "${name}.service" text;
        inherit (s) wantedBy;
      };
    })
    (lib.filterAttrs (_: s: s.enable) config.systemd.services);
}
