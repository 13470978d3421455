# Stand-in for lib.nixosSystem: evaluates the given modules together with the
# option stubs in nixos-options.nix.
{ lib, pkgsFor }:
{ system, modules, specialArgs ? { } }:
let
  pkgs = pkgsFor system;
  eval = lib.evalModules {
    modules = [ ./nixos-options.nix ] ++ modules;
    specialArgs = { inherit pkgs; } // specialArgs;
  };
in
{
  inherit (eval) config options;
  inherit pkgs;
}
