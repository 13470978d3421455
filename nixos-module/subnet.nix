# IPv4 subnet arithmetic for the module: the helper gives the host end of the
# veth the subnet's first address (network + 1) and the namespace end the
# second; the proxy must listen on the host end.
let
  b = builtins;
  parts = subnet: b.match "(0|[1-9][0-9]{0,2})\\.(0|[1-9][0-9]{0,2})\\.(0|[1-9][0-9]{0,2})\\.(0|[1-9][0-9]{0,2})/([1-9][0-9]?)" subnet;
  pow2 = n: if n == 0 then 1 else 2 * pow2 (n - 1);
  toInt = b.fromJSON;
  octets = subnet: b.map toInt (b.genList (i: b.elemAt (parts subnet) i) 4);
  prefixLength = subnet: toInt (b.elemAt (parts subnet) 4);
  asNumber = os: b.foldl' (acc: o: acc * 256 + o) 0 os;
  format = n: b.concatStringsSep "." (b.map (shift: toString (b.bitAnd (n / pow2 shift) 255)) [ 24 16 8 0 ]);
in
rec {
  # "10.200.1.0/24" is valid: four octets, prefix /8 to /30 (the helper's
  # range), host bits zero.
  isValid = subnet:
    parts subnet != null
    && b.all (o: o <= 255) (octets subnet)
    && prefixLength subnet >= 8 && prefixLength subnet <= 30
    && b.bitAnd (asNumber (octets subnet)) (pow2 (32 - prefixLength subnet) - 1) == 0;
  hostAddress = subnet: format (asNumber (octets subnet) + 1);
  namespaceAddress = subnet: format (asNumber (octets subnet) + 2);
}
