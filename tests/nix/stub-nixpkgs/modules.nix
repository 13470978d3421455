# Stand-in for lib.evalModules: modules (functions, attrsets or paths) with
# options, config and imports; mkIf/mkMerge/mkOverride pushed down without
# evaluating conditions early; highest priority wins; types check and merge;
# a definition of an undeclared option is an error, as in lib/modules.nix.
{ lib }:
{ modules, prefix ? [ ], specialArgs ? { } }:
let
  b = builtins;
  isOption = v: b.isAttrs v && (v._type or null) == "option";
  propertyOf = v: if b.isAttrs v then v._type or null else null;

  load = file: m:
    let
      isFile = b.isPath m || b.isString m;
      value = if isFile then import m else m;
      name = if isFile then toString m else m._file or file;
      called = if b.isFunction value then value (specialArgs // { inherit lib config options; }) else value;
      # Like lib.modules: without `options` or `config`, every other key is config.
      shorthand = !(called ? options || called ? config);
    in
    {
      file = name;
      options = called.options or { };
      config = if shorthand then b.removeAttrs called [ "_file" "key" "imports" ] else called.config or { };
      imports = called.imports or [ ];
    };
  collect = file: ms: b.concatMap (m: let l = load file m; in [ l ] ++ collect l.file l.imports) ms;
  loaded = collect "<module>" modules;

  mergeTrees = a: c: a // b.mapAttrs
    (n: v:
      if !(a ? ${n}) then v
      else if isOption v || isOption a.${n} then throw "The option `${lib.showOption (prefix ++ [ n ])}' is declared twice"
      else mergeTrees a.${n} v)
    c;
  options = b.foldl' mergeTrees { } (b.map (l: l.options) loaded);

  # Definitions at `path` inside one module's config: properties are pushed
  # down; conditions are collected, evaluated only once the option is merged.
  walk = ctx: v: path:
    let t = propertyOf v; in
    if t == "if" then walk (ctx // { conds = ctx.conds ++ [ v.condition ]; }) v.content path
    else if t == "merge" then b.concatMap (c: walk ctx c path) v.contents
    else if t == "override" then walk (ctx // { priority = v.priority; }) v.content path
    else if path == [ ] then [ (ctx // { value = v; }) ]
    else if b.isAttrs v && v ? ${b.head path} then walk ctx v.${b.head path} (b.tail path)
    else [ ];

  mergeOption = path: opt:
    let
      loc = prefix ++ path;
      defs = b.concatMap (l: walk { inherit (l) file; priority = 100; conds = [ ]; } l.config path) loaded;
      active = b.filter (d: b.all (c: c) d.conds) defs;
      best = b.foldl' (acc: d: if d.priority < acc then d.priority else acc) 100000 active;
      top = b.filter (d: d.priority == best) active;
      type = opt.type or lib.types.anything;
    in
    if top != [ ] then type.merge loc (b.map (d: { inherit (d) file value; }) top)
    else if opt ? default then type.merge loc [ { file = "the option's default"; value = opt.default; } ]
    else throw "The option `${lib.showOption loc}' is used but not defined.";

  evalTree = tree: path: b.mapAttrs (n: o: if isOption o then mergeOption (path ++ [ n ]) o else evalTree o (path ++ [ n ])) tree;
  config = evalTree options [ ];

  # Every defined name must be a declared option (conditions not evaluated).
  checkDeclared = file: tree: v: path:
    let t = propertyOf v; in
    if isOption tree then true
    else if t == "if" then checkDeclared file tree v.content path
    else if t == "merge" then b.all (c: checkDeclared file tree c path) v.contents
    else if t == "override" then checkDeclared file tree v.content path
    else if !(b.isAttrs v) then throw "The option `${lib.showOption (prefix ++ path)}' is not an option but a set of options; ${file} defines it as a value"
    else b.all
      (n:
        if tree ? ${n} then checkDeclared file tree.${n} v.${n} (path ++ [ n ])
        else throw "The option `${lib.showOption (prefix ++ path ++ [ n ])}' does not exist. Definition in ${file}.")
      (b.filter (n: n != "_file") (b.attrNames v));
  allDeclared = b.all (l: checkDeclared l.file options l.config [ ]) loaded;
in
{
  config = b.seq allDeclared config;
  inherit options;
}
