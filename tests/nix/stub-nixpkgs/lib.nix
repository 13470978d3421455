# Stand-in for nixpkgs' lib: only the functions flake.nix, nix/package.nix and
# nixos-module/ use, with nixpkgs' names and meanings. nixpkgs cannot be
# fetched on the test machines; the real lib is used by `nix flake check`
# anywhere else.
let
  b = builtins;
  lib = rec {
    inherit (b) elem filter head tail length map attrNames attrValues concatStringsSep
      isAttrs isList isString isBool isInt toJSON concatMap genList;
    types = import ./types.nix { inherit lib; };

    genAttrs = names: f: b.listToAttrs (b.map (n: { name = n; value = f n; }) names);
    mapAttrs = b.mapAttrs;
    mapAttrs' = f: set: b.listToAttrs (b.map (n: f n set.${n}) (b.attrNames set));
    mapAttrsToList = f: set: b.map (n: f n set.${n}) (b.attrNames set);
    filterAttrs = pred: set: b.listToAttrs (b.concatMap (n: if pred n set.${n} then [ { name = n; value = set.${n}; } ] else [ ]) (b.attrNames set));
    optional = cond: x: if cond then [ x ] else [ ];
    optionals = cond: xs: if cond then xs else [ ];
    optionalString = cond: s: if cond then s else "";
    optionalAttrs = cond: set: if cond then set else { };
    concatMapStringsSep = sep: f: xs: b.concatStringsSep sep (b.map f xs);
    concatMapStrings = f: xs: b.concatStringsSep "" (b.map f xs);
    hasPrefix = pre: s: b.substring 0 (b.stringLength pre) s == pre;
    removePrefix = pre: s: if hasPrefix pre s then b.substring (b.stringLength pre) (-1) s else s;
    boolToString = x: if x then "true" else "false";
    # Safe strings stay bare, as in nixpkgs since 23.05.
    escapeShellArg = s: let str = b.toString s; in
      if b.match "[[:alnum:],._+:@%/-]+" str != null then str
      else "'" + b.replaceStrings [ "'" ] [ "'\\''" ] str + "'";
    escapeShellArgs = xs: b.concatStringsSep " " (b.map escapeShellArg xs);
    makeBinPath = pkgs: b.concatStringsSep ":" (b.map (p: "${p}/bin") pkgs);
    getDev = p: p.dev or p;
    getLib = p: p.lib or p.out or p;
    literalExpression = text: { _type = "literalExpression"; inherit text; };
    all = b.all;
    any = b.any;
    foldl' = b.foldl';
    last = xs: b.elemAt xs (b.length xs - 1);
    showOption = loc: b.concatStringsSep "." loc;
    recursiveUpdate = l: r: l // b.mapAttrs (n: v: if b.isAttrs v && l ? ${n} && b.isAttrs l.${n} then recursiveUpdate l.${n} v else v) r;

    licenses.mit = { shortName = "mit"; };
    platforms.linux = [ "x86_64-linux" "aarch64-linux" ];

    # Module-system properties, the shapes lib/modules.nix uses.
    mkIf = condition: content: { _type = "if"; inherit condition content; };
    mkMerge = contents: { _type = "merge"; inherit contents; };
    mkOverride = priority: content: { _type = "override"; inherit priority content; };
    mkDefault = mkOverride 1000;
    mkForce = mkOverride 50;
    mkOption = attrs: attrs // { _type = "option"; };
    mkEnableOption = name: mkOption { type = types.bool; default = false; description = "Whether to enable ${name}."; };
    mkPackageOption = pkgs: name: { default ? [ name ], ... }:
      mkOption { type = types.package; default = pkgs.${b.head default}; description = "The ${name} package to use."; };

    evalModules = import ./modules.nix { inherit lib; };
  };
in
lib
