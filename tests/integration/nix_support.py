"""Helpers for test_nix.py: an isolated Nix (temporary store and state, so
nothing touches /nix), evaluation of the NixOS module with the stand-in
module system, and an offline `nix flake check` against the stand-in nixpkgs.

nixpkgs cannot be fetched on the test machines; tests/nix/stub-nixpkgs/ is our
own small stand-in with NixOS' option names and types (see docs/nixos.md)."""
import json
import os
import pathlib
import shutil
import subprocess

ROOT = pathlib.Path(__file__).resolve().parents[2]
BUILD = pathlib.Path(os.environ.get("BUILDDIR", ROOT / "build"))  # as conftest.py
NIX_FLAGS = ["--extra-experimental-features", "nix-command flakes"]


def require(tool):
    path = shutil.which(tool)
    assert path, f"{tool} is missing: install the Debian package listed in scripts/debian-packages.txt"
    return path


class IsolatedNix:
    """Runs nix with its store, state and HOME under one temporary directory."""

    def __init__(self, base: pathlib.Path):
        self.base = base
        self.env = dict(os.environ)
        self.env.update(
            HOME=str(base / "home"),
            NIX_STORE_DIR=str(base / "store"),
            NIX_STATE_DIR=str(base / "state"),
            NIX_LOG_DIR=str(base / "log"),
            # Debian's nix-bin defaults to a nixbld group that does not exist here.
            NIX_CONFIG="build-users-group =",
        )
        (base / "home").mkdir(parents=True, exist_ok=True)

    def run(self, args, cwd=ROOT, check=False):
        return subprocess.run(args, cwd=cwd, env=self.env, capture_output=True, text=True, timeout=60, check=check)

    def eval_module(self, package_dir, settings="{ }"):
        """Evaluates nixos-module/ with `settings` (a Nix expression for
        services.cursorProxy) through tests/nix/eval-module.nix."""
        return self.run([
            "nix-instantiate", "--eval", "--strict", "--json", "--read-write-mode",
            str(ROOT / "tests/nix/eval-module.nix"),
            "--argstr", "packageDir", str(package_dir),
            "--arg", "settings", settings,
        ])

    def eval_module_ok(self, package_dir, settings="{ }"):
        r = self.eval_module(package_dir, settings)
        assert r.returncode == 0, f"module evaluation failed:\n{r.stderr}"
        return json.loads(r.stdout)

    def flake(self, src, *args):
        stub = src / "tests/nix/stub-nixpkgs"
        return self.run(["nix", *NIX_FLAGS, *args, "--offline", "--no-write-lock-file",
                         "--override-input", "nixpkgs", f"path:{stub}"], cwd=src)


def copy_flake_source(dest: pathlib.Path) -> pathlib.Path:
    """The files a git flake would see: tracked and new files, not ignored
    ones (build dirs, node_modules)."""
    listed = subprocess.run(["git", "ls-files", "-z", "-co", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, check=True).stdout.split(b"\0")
    for name in filter(None, listed):
        rel = name.decode()
        if rel.startswith("tests/npm/") or not (ROOT / rel).is_file():
            continue
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, target)
    return dest


def fake_package(base: pathlib.Path) -> pathlib.Path:
    """A package directory whose executables exist (copies of /bin/true), so
    systemd-analyze verify finds every ExecStart."""
    for name in ("bin/cursor-proxy", "bin/cursor-proxy-launch", "libexec/cursor-proxy-helper"):
        (base / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy("/bin/true", base / name)
    return base


def write_units(units: dict, store: pathlib.Path, dest: pathlib.Path, instance="alice"):
    """Writes rendered units to dest (templates as one instance) and makes the
    stand-in store's scripts executable, as the real writeShellScript does."""
    dest.mkdir(parents=True)
    for script in store.glob("*-cursor-proxy-prepare"):
        script.chmod(0o755)
    names = []
    for name, text in units.items():
        name = name.replace("@.service", f"@{instance}.service")
        (dest / name).write_text(text)
        names.append(name)
    return names
