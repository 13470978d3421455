# Stand-in for nixpkgs, for offline tests only (nixpkgs cannot be fetched on
# the test machines): `nix flake check --override-input nixpkgs path:<this>`.
{
  description = "cursor-proxy's offline stand-in for nixpkgs";
  outputs = { self }:
    let
      stubLib = import ./lib.nix;
      systems = [ "x86_64-linux" "aarch64-linux" ];
    in
    {
      lib = stubLib // {
        nixosSystem = import ./nixos.nix { lib = stubLib; pkgsFor = system: self.legacyPackages.${system}; };
      };
      legacyPackages = stubLib.genAttrs systems (system: import ./pkgs.nix { lib = stubLib; inherit system; });
    };
}
