# The cursor-proxy package: the daemon, the root helper and the launcher,
# built with meson from nixpkgs. Used by flake.nix (packages.default).
{ lib
, stdenv
, meson
, ninja
, pkg-config
, makeWrapper
, boringssl
, nghttp2
, asio
, fmt
, zlib
, nlohmann_json
, catch2
, protobuf
, libnl
, libmnl
, libnftnl
, systemd
, coreutils
, src
}:

stdenv.mkDerivation {
  pname = "cursor-proxy";
  version = "0.1.0";
  inherit src;

  # protoc: the decoder unit tests build descriptor sets with it (found at
  # configure time; without it those tests fail loudly).
  nativeBuildInputs = [ meson ninja pkg-config makeWrapper protobuf ];
  buildInputs = [ boringssl nghttp2 asio fmt zlib nlohmann_json libnl libmnl libnftnl systemd ];
  checkInputs = [ catch2 ];

  # nixpkgs' boringssl ships no pkg-config file: headers are in its dev
  # output, the (static) libraries in its lib/out output. lib.getDev and
  # lib.getLib fall back to "out" if an output does not exist.
  mesonFlags = [
    "-Dboringssl_includedir=${lib.getDev boringssl}/include"
    "-Dboringssl_libdir=${lib.getLib boringssl}/lib"
    "-Dtests=enabled"
    "-Dhelper=enabled"
  ];

  # Unit tests only: the integration tests need root, namespaces and network
  # peers, which the Nix sandbox does not have.
  doCheck = true;
  mesonCheckFlags = [ "--suite" "unit" ];

  # The launcher talks to the helper and to systemd (busctl, systemctl).
  postInstall = ''
    install -Dm755 $src/launcher/cursor-proxy-launch $out/bin/cursor-proxy-launch
    wrapProgram $out/bin/cursor-proxy-launch \
      --prefix PATH : ${lib.makeBinPath [ systemd coreutils ]}
  '';

  meta = {
    description = "See, record and change what the Cursor editor exchanges with its AI servers";
    license = lib.licenses.mit;
    platforms = lib.platforms.linux;
    mainProgram = "cursor-proxy";
  };
}
