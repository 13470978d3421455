# services.cursorProxy: the proxy daemon (unprivileged), the root helper that
# makes the network namespace (D-Bus activated), the D-Bus policy, the polkit
# rule that lets a user start Cursor in the namespace as themselves, and the
# CA certificate for system-wide trust. See docs/nixos.md.
{ config, lib, pkgs, ... }:
let
  cfg = config.services.cursorProxy;
  inherit (lib) mkOption mkEnableOption mkIf types;
  subnet = import ./subnet.nix;
in
{
  imports = [ ./units.nix ./bus.nix ];

  options.services.cursorProxy = {
    enable = mkEnableOption "cursor-proxy, which records what the Cursor editor exchanges with its AI servers";

    package = mkOption {
      type = types.package;
      default = throw "services.cursorProxy.package is not set: import the flake's nixosModules.default, or set it to the cursor-proxy package";
      description = "The cursor-proxy package (daemon, helper and cursor-proxy-launch).";
    };

    port = mkOption {
      type = types.port;
      default = 8443;
      description = "Port the proxy listens on, on the host end of the veth; the helper redirects the namespace's TCP 443 to it.";
    };

    namespace = mkOption {
      type = types.str;
      default = "cursor-proxy";
      description = "Name of the network namespace (/run/netns/NAME) Cursor runs in.";
    };

    subnet = mkOption {
      type = types.str;
      default = "10.200.1.0/24";
      description = "IPv4 network of the veth pair (/8 to /30, host bits zero). The host end gets its first address, the namespace end the second.";
    };

    user = mkOption { type = types.str; default = "cursor-proxy"; description = "System user the proxy runs as."; };
    group = mkOption { type = types.str; default = "cursor-proxy"; description = "Group of the proxy's user."; };

    allowedGroup = mkOption {
      type = types.str;
      default = "users";
      description = ''
        Members of this group may bring the namespace up and down (the helper's
        Up/Down) and start Cursor in it as themselves. "users" holds every
        normal user on NixOS; use a dedicated group to narrow it (the module
        creates the group if it is not "users").
      '';
    };

    dataDir = mkOption {
      type = types.str;
      default = "/var/lib/cursor-proxy";
      description = "The proxy's state (CA, captures), mode 0700, owned by the proxy's user. Must be under /var/lib (systemd StateDirectory).";
    };

    capture = {
      enable = mkOption { type = types.bool; default = true; description = "Record the decoded traffic under dataDir."; };
      redact = mkOption { type = types.bool; default = true; description = "Redact credentials (authorization, cookies, ...) in captures."; };
      maxBytes = mkOption {
        type = types.nullOr (types.either types.ints.positive (types.strMatching "[0-9]+[KMG]?"));
        default = null;
        example = "2G";
        description = "Total size cap of the captures (bytes, or with a K/M/G suffix); null keeps the proxy's default.";
      };
      excludeTelemetry = mkOption { type = types.bool; default = true; description = "Do not record telemetry hosts (most of the volume)."; };
    };

    failClosed = mkOption {
      type = types.bool;
      default = false;
      description = "The namespace may reach only the proxy and DNS; all other traffic from it is dropped instead of forwarded.";
    };

    uplink = mkOption { type = types.str; default = "auto"; description = "Host interface the namespace's other traffic leaves by; \"auto\" follows the default route."; };

    dns = mkOption {
      type = types.listOf types.str;
      default = [ ];
      example = [ "9.9.9.9" ];
      description = "IPv4 resolvers written to /etc/netns/NAME/resolv.conf; empty takes the host's non-loopback resolvers.";
    };

    upstreamCaFile = mkOption {
      type = types.path;
      default = "/etc/ssl/certs/ca-certificates.crt";
      description = "PEM bundle the proxy verifies the real servers' certificates against (the system trust store).";
    };

    extraArgs = mkOption {
      type = types.listOf types.str;
      default = [ ];
      example = [ "--passthrough" "marketplace.cursorapi.com" ];
      description = "Extra arguments for `cursor-proxy run`.";
    };

    caCertificateFile = mkOption {
      type = types.nullOr types.path;
      default = null;
      example = lib.literalExpression "./cursor-proxy-ca.crt";
      description = ''
        The proxy's CA certificate, added to the system trust store
        (security.pki.certificateFiles). The CA is made on the machine at the
        first start, so this is a second step: after `systemctl start
        cursor-proxy`, copy /run/cursor-proxy/ca.crt next to your
        configuration and point this option at it. Processes started by
        cursor-proxy-launch trust the CA without it.
      '';
    };
  };

  config = mkIf cfg.enable {
    assertions = [
      {
        assertion = subnet.isValid cfg.subnet;
        message = "services.cursorProxy.subnet = \"${cfg.subnet}\" is not an IPv4 network like 10.200.1.0/24 (prefix /8 to /30, host bits zero).";
      }
      {
        assertion = builtins.match "[A-Za-z0-9_.-]{1,64}" cfg.namespace != null && cfg.namespace != "." && cfg.namespace != "..";
        message = "services.cursorProxy.namespace = \"${cfg.namespace}\" is not a valid namespace name: use letters, digits, '_', '-' and '.' (no '/', not '.' or '..', at most 64 characters).";
      }
      {
        assertion = cfg.port != 0;
        message = "services.cursorProxy.port must be between 1 and 65535.";
      }
      {
        assertion = builtins.match "/var/lib/[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*" cfg.dataDir != null && builtins.match ".*/\\.\\.?(/.*)?" cfg.dataDir == null;
        message = "services.cursorProxy.dataDir = \"${cfg.dataDir}\" must be a directory under /var/lib (it is the unit's StateDirectory).";
      }
      {
        assertion = lib.all (s: builtins.match "[0-9]{1,3}(\\.[0-9]{1,3}){3}" s != null) cfg.dns;
        message = "services.cursorProxy.dns must list IPv4 addresses (IPv6 is off in the namespace).";
      }
    ];

    users.users.${cfg.user} = {
      isSystemUser = true;
      inherit (cfg) group;
      home = cfg.dataDir;
      description = "cursor-proxy daemon";
    };
    users.groups = { ${cfg.group} = { }; } // lib.optionalAttrs (cfg.allowedGroup != "users") { ${cfg.allowedGroup} = { }; };

    environment.systemPackages = [ cfg.package ];
    security.pki.certificateFiles = lib.optional (cfg.caCertificateFile != null) cfg.caCertificateFile;
  };
}
