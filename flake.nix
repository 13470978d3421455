{
  description = "cursor-proxy: see, record and change what the Cursor editor exchanges with its AI servers";

  # nixpkgs is the only input, so one --override-input replaces it (the
  # offline tests point it at tests/nix/stub-nixpkgs).
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";

  outputs = { self, nixpkgs }:
    let
      lib = nixpkgs.lib;
      systems = [ "x86_64-linux" "aarch64-linux" ];
      forAllSystems = f: lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});
      packageFor = pkgs: pkgs.callPackage ./nix/package.nix { src = self; };

      # Evaluates a minimal NixOS system with the module enabled and checks
      # the generated units' key lines (evaluation only; no VM).
      moduleCheck = pkgs:
        let
          nixos = lib.nixosSystem {
            inherit (pkgs) system;
            modules = [
              self.nixosModules.default
              {
                services.cursorProxy.enable = true;
                boot.isContainer = true;
                system.stateVersion = "25.05";
              }
            ];
          };
          units = nixos.config.systemd.units;
        in
        pkgs.runCommand "cursor-proxy-module-eval"
          {
            proxyUnit = units."cursor-proxy.service".unit;
            helperUnit = units."cursor-proxy-helper.service".unit;
          } ''
          grep -q '^Type=notify$' $proxyUnit/cursor-proxy.service
          grep -q '^User=cursor-proxy$' $proxyUnit/cursor-proxy.service
          grep -q '^ExecStart=.*/bin/cursor-proxy run --listen 10.200.1.1:8443 ' $proxyUnit/cursor-proxy.service
          grep -q '^Type=dbus$' $helperUnit/cursor-proxy-helper.service
          grep -q '^BusName=org.cursorproxy.Helper1$' $helperUnit/cursor-proxy-helper.service
          touch $out
        '';
    in
    {
      packages = forAllSystems (pkgs: rec {
        cursor-proxy = packageFor pkgs;
        default = cursor-proxy;
      });

      overlays.default = final: _prev: { cursor-proxy = packageFor final; };

      nixosModules.default = { pkgs, lib, ... }: {
        imports = [ ./nixos-module ];
        services.cursorProxy.package = lib.mkDefault self.packages.${pkgs.stdenv.hostPlatform.system}.default;
      };

      devShells = forAllSystems (pkgs: {
        default = pkgs.mkShell {
          inputsFrom = [ self.packages.${pkgs.system}.default ];
          # The integration tests' real peers.
          packages = with pkgs; [
            catch2
            curl
            openssl
            nghttp2
            nodejs
            iproute2
            nftables
            dbus
            (python3.withPackages (ps: [ ps.pytest ps.h2 ]))
          ];
        };
      });

      checks = forAllSystems (pkgs: {
        # Building the package runs the unit tests (meson test --suite unit).
        package = self.packages.${pkgs.system}.default;
        module = moduleCheck pkgs;
      });
    };
}
