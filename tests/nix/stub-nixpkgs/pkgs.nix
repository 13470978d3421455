# Stand-in for nixpkgs' package set: placeholder derivations under the names
# our Nix files use. They are instantiated (drvPath) but never built: the
# offline tests run `nix flake check --no-build`.
{ lib, system }:
let
  b = builtins;
  placeholder = name: extra: derivation ({
    inherit name system;
    builder = "/bin/sh";
    args = [ "-c" "echo stand-in package ${name} cannot be built >&2; exit 1" ];
  } // extra);
  simple = names: b.listToAttrs (b.map (n: { name = n; value = placeholder n { }; }) names);
  self = simple [
    "meson" "ninja" "pkg-config" "makeWrapper" "nghttp2" "asio" "fmt" "zlib" "nlohmann_json"
    "catch2" "protobuf" "libnl" "libmnl" "libnftnl" "systemd" "coreutils" "curl" "openssl" "nodejs"
    "iproute2" "nftables" "dbus" "bash" "gnugrep"
  ] // {
    inherit lib system;
    # nixpkgs' boringssl has outputs out, bin and dev (headers in dev).
    boringssl = placeholder "boringssl" { outputs = [ "out" "bin" "dev" ]; };
    python3 = placeholder "python3" { } // {
      withPackages = f: placeholder "python3-env" { pkgs = f (simple [ "pytest" "h2" ]); };
    };
    runtimeShell = "/bin/sh";
    stdenv = {
      hostPlatform = { inherit system; };
      mkDerivation = attrs: placeholder "${attrs.pname}-${attrs.version}"
        (b.removeAttrs attrs [ "meta" "passthru" ] // { __ignoreNulls = true; }) // { inherit (attrs) meta; };
    };
    callPackage = fn: overrides:
      let f = if b.isFunction fn then fn else import fn; in
      f (b.intersectAttrs (b.functionArgs f) self // overrides);
    mkShell = attrs: placeholder "nix-shell" { inputsFrom = attrs.inputsFrom or [ ]; packages = attrs.packages or [ ]; };
    runCommand = name: env: script: placeholder name (env // { inherit script; });
    writeTextDir = path: text: placeholder (b.baseNameOf path) { inherit path text; } // { inherit text; };
    writeTextFile = { name, text, destination ? "", executable ? false, ... }:
      placeholder name { inherit text destination; } // { inherit text destination; };
    # Written into the (temporary) store so unit checks find a real file.
    # The real writeShellScript builds a derivation; string context is dropped
    # here because toFile cannot refer to derivation outputs.
    writeShellScript = name: text: b.toFile name (b.unsafeDiscardStringContext "#!/bin/sh\n${text}");
    writeText = name: text: b.toFile name (b.unsafeDiscardStringContext text);
  };
in
self
