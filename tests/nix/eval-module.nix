# Evaluates nixos-module/ with the stand-in module system (stub-nixpkgs/) and
# returns what the tests check: rendered units, the helper's config, the D-Bus
# files, the polkit rule, users, groups and trust settings. Failed assertions
# throw, as a NixOS build would.
#   nix-instantiate --eval --strict --json tests/nix/eval-module.nix \
#     --argstr packageDir /tmp/pkg --arg settings '{ port = 9000; }'
{ packageDir ? "/nonexistent/cursor-proxy", settings ? { } }:
let
  lib = import ./stub-nixpkgs/lib.nix;
  pkgs = import ./stub-nixpkgs/pkgs.nix { inherit lib; system = "x86_64-linux"; };
  nixos = import ./stub-nixpkgs/nixos.nix { inherit lib; pkgsFor = _: pkgs; } {
    system = "x86_64-linux";
    modules = [
      ../../nixos-module
      { services.cursorProxy = { enable = true; package = packageDir; } // settings; }
    ];
  };
  config = nixos.config;
  failed = builtins.filter (a: !a.assertion) config.assertions;
  checked =
    if failed != [ ] then throw "Failed assertions:\n${lib.concatMapStringsSep "\n" (a: "- ${a.message}") failed}"
    else config;
  helper = checked.systemd.services.cursor-proxy-helper or null;
  helperConfigFile =
    if helper == null then null
    else builtins.elemAt (builtins.match ".* --config ([^ ]+)" helper.serviceConfig.ExecStart) 0;
in
{
  units = lib.mapAttrs (_: u: u.text) checked.systemd.units;
  wantedBy = lib.mapAttrs (_: u: u.wantedBy) checked.systemd.units;
  dbusFiles = builtins.listToAttrs (map (p: { name = p.destination; value = p.text; }) checked.services.dbus.packages);
  polkit = { inherit (checked.security.polkit) enable extraConfig; };
  certificateFiles = map toString checked.security.pki.certificateFiles;
  users = lib.mapAttrs (_: u: { inherit (u) isSystemUser group home; }) checked.users.users;
  groups = builtins.attrNames checked.users.groups;
  systemPackages = map toString checked.environment.systemPackages;
  inherit helperConfigFile;
}
