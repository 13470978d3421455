# Stand-in for lib.types: each type has a name, a check and a merge of the
# definitions ({ file, value } list) the way lib/types.nix merges them.
{ lib }:
let
  b = builtins;
  showDefs = defs: b.concatStringsSep ", " (b.map (d: "${b.toJSON d.value} in ${d.file}") defs);
  fail = loc: msg: throw "The option `${lib.showOption loc}' ${msg}";
  checked = type: loc: defs:
    let bad = b.filter (d: !(type.check d.value)) defs; in
    if bad != [ ] then fail loc "is not of type `${type.description}'. Definition values: ${showDefs bad}" else defs;
  mergeEqual = loc: defs:
    let first = (b.head defs).value; in
    if b.all (d: d.value == first) defs then first
    else fail loc "has conflicting definition values: ${showDefs defs}";
  mkType = { name, description ? name, check, merge ? mergeEqual }:
    let mergeChecked = merge; in
    rec {
      _type = "option-type";
      inherit name description check;
      merge = loc: defs: mergeChecked loc (checked self loc defs);
      self = { inherit description check; };
    };
  isDerivation = v: b.isAttrs v && (v.type or null) == "derivation";
  isStringLike = v: b.isString v || b.isPath v || (b.isAttrs v && v ? outPath);
  # Pushes mkIf/mkMerge/mkOverride down one value (lib.modules' dischargeProperties).
  discharge = ctx: v:
    let t = if b.isAttrs v then v._type or null else null; in
    if t == "if" then (if v.condition then discharge ctx v.content else [ ])
    else if t == "merge" then b.concatMap (discharge ctx) v.contents
    else if t == "override" then discharge (ctx // { priority = v.priority; }) v.content
    else [ (ctx // { value = v; }) ];
  highestPriority = defs:
    let p = b.foldl' (acc: d: if d.priority < acc then d.priority else acc) 100000 defs; in
    b.filter (d: d.priority == p) defs;
in
rec {
  bool = mkType { name = "bool"; description = "boolean"; check = b.isBool; };
  str = mkType { name = "str"; description = "string"; check = b.isString; };
  nonEmptyStr = mkType { name = "nonEmptyStr"; description = "non-empty string"; check = v: b.isString v && v != ""; };
  strMatching = re: mkType { name = "strMatching"; description = "string matching the pattern ${re}"; check = v: b.isString v && b.match re v != null; };
  lines = mkType {
    name = "lines"; description = "strings concatenated with \"\\n\""; check = b.isString;
    merge = loc: defs: b.concatStringsSep "\n" (b.map (d: d.value) defs);
  };
  int = mkType { name = "int"; description = "signed integer"; check = b.isInt; };
  ints = {
    positive = mkType { name = "positiveInt"; description = "positive integer, meaning >0"; check = v: b.isInt v && v > 0; };
    between = lo: hi: mkType { name = "intBetween"; description = "integer between ${toString lo} and ${toString hi} (both inclusive)"; check = v: b.isInt v && v >= lo && v <= hi; };
  };
  port = mkType { name = "port"; description = "16 bit unsigned integer; between 0 and 65535 (both inclusive)"; check = v: b.isInt v && v >= 0 && v <= 65535; };
  path = mkType { name = "path"; description = "path"; check = v: isStringLike v && lib.hasPrefix "/" (toString v); };
  package = mkType { name = "package"; description = "package"; check = v: isDerivation v || isStringLike v; };
  anything = mkType { name = "anything"; check = _: true; };
  unspecified = anything;
  enum = values: mkType { name = "enum"; description = "one of ${b.concatStringsSep ", " (b.map b.toJSON values)}"; check = v: b.elem v values; };
  nullOr = t: mkType {
    name = "nullOr"; description = "null or ${t.description}"; check = v: v == null || t.check v;
    merge = loc: defs: if b.all (d: d.value == null) defs then null else t.merge loc (b.filter (d: d.value != null) defs);
  };
  either = t1: t2: mkType {
    name = "either"; description = "${t1.description} or ${t2.description}"; check = v: t1.check v || t2.check v;
    merge = loc: defs: let v = (b.head defs).value; in if t1.check v then t1.merge loc defs else t2.merge loc defs;
  };
  oneOf = ts: b.foldl' either (b.head ts) (b.tail ts);
  listOf = t: mkType {
    name = "listOf"; description = "list of ${t.description}"; check = b.isList;
    merge = loc: defs: b.concatMap (d: b.genList (i: t.merge (loc ++ [ "[definition ${toString i}]" ]) [ { inherit (d) file; value = b.elemAt d.value i; } ]) (b.length d.value)) defs;
  };
  # Merges attribute by attribute; properties inside each value are pushed
  # down and the highest priority wins per attribute, as in lib.types.attrsOf.
  attrsOf = t: mkType {
    name = "attrsOf"; description = "attribute set of ${t.description}"; check = b.isAttrs;
    merge = loc: defs:
      let
        names = b.attrNames (b.foldl' (acc: d: acc // d.value) { } defs);
        defsFor = n: highestPriority (b.concatMap (d: if d.value ? ${n} then discharge { inherit (d) file; priority = 100; } d.value.${n} else [ ]) defs);
        present = b.filter (n: defsFor n != [ ]) names;
      in
      b.listToAttrs (b.map (n: { name = n; value = t.merge (loc ++ [ n ]) (defsFor n); }) present);
  };
  attrs = mkType { name = "attrs"; description = "attribute set"; check = b.isAttrs; merge = loc: defs: b.foldl' (acc: d: lib.recursiveUpdate acc d.value) { } defs; };
  # A submodule is evaluated with the same stand-in module system.
  submodule = module: mkType {
    name = "submodule"; description = "submodule"; check = v: b.isAttrs v || b.isFunction v;
    merge = loc: defs: (lib.evalModules {
      modules = [ module ] ++ b.map (d: { _file = d.file; config = d.value; }) defs;
      prefix = loc;
      specialArgs = { name = lib.last loc; };
    }).config;
  };
}
