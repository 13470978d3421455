"""cursor-proxy-launch: the part that runs as the user inside the namespace
(--inside) with a real CA from `cursor-proxy ca init` and a stand-in Cursor
that records how it was started, and the clear errors of the part that runs
outside. The full outside flow needs systemd as PID 1 and polkit (a running
NixOS); see docs/launcher.md."""
import json
import os
import pathlib
import shlex
import subprocess
import tempfile

import pytest

from helper_support import private_bus
from nix_support import ROOT, require

LAUNCHER = ROOT / "launcher" / "cursor-proxy-launch"

FAKE_CURSOR = """#!/bin/sh
# Records its arguments and the environment it was given, as JSON.
exec /usr/bin/python3 -c 'import json, os, sys; json.dump({"argv": sys.argv[1:], "env": dict(os.environ)}, open(os.environ["FAKE_CURSOR_RECORD"], "w"))' "$@"
"""


@pytest.fixture
def world():
    """A home, a runtime dir, a published CA (as the proxy unit publishes it)
    and a stand-in Cursor; all under one temporary directory."""
    with tempfile.TemporaryDirectory(prefix="cursor-proxy-launch-") as d:
        base = pathlib.Path(d)
        for sub in ("home", "xdg-runtime", "published", "bin"):
            (base / sub).mkdir(mode=0o700)
        cursor = base / "bin" / "cursor"
        cursor.write_text(FAKE_CURSOR)
        cursor.chmod(0o755)
        env = {
            "PATH": f"{base / 'bin'}:/usr/bin:/bin",
            "HOME": str(base / "home"),
            "XDG_RUNTIME_DIR": str(base / "xdg-runtime"),
            "CURSOR_PROXY_RUNTIME_DIR": str(base / "published"),
            "FAKE_CURSOR_RECORD": str(base / "record.json"),
        }
        yield base, env


def publish_ca(proxy_binary, base):
    """What the proxy unit's ExecStartPre does: ca init in the (private) data
    dir, public parts copied to the runtime dir."""
    data = base / "data"
    subprocess.run([proxy_binary, "ca", "init", "--dir", str(data)], check=True, capture_output=True)
    for name in ("ca.crt", "leaf.pub"):
        (base / "published" / name).write_bytes((data / name).read_bytes())
    (base / "published" / "ca-bundle.crt").write_bytes((data / "ca.crt").read_bytes())
    show = subprocess.run([proxy_binary, "ca", "show", "--dir", str(data), "--json"], check=True,
                          capture_output=True, text=True).stdout
    return json.loads(show)["leaf_spki_sha256"]


def write_launch_env(base, cursor, args, extra_env):
    """launch.env as the outside part writes it (bash %q quoting)."""
    lines = [f"CURSOR_BIN={shlex.quote(str(cursor))}",
             "CURSOR_ARGS=(" + " ".join(shlex.quote(a) for a in args) + ")"]
    lines += [f"export {k}={shlex.quote(v)}" for k, v in extra_env.items()]
    env_dir = base / "xdg-runtime" / "cursor-proxy"
    env_dir.mkdir(mode=0o700)
    (env_dir / "launch.env").write_text("\n".join(lines) + "\n")


def launch(env, *args, extra_path=None):
    run_env = dict(env)
    if extra_path:
        run_env["PATH"] = f"{extra_path}:{run_env['PATH']}"
    return subprocess.run([str(LAUNCHER), *args], env=run_env, capture_output=True, text=True, timeout=30)


def test_launcher_passes_shellcheck():
    r = subprocess.run([require("shellcheck"), str(LAUNCHER)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout


def test_inside_starts_cursor_with_pin_ca_and_own_profile(proxy_binary, world):
    base, env = world
    spki = publish_ca(proxy_binary, base)
    write_launch_env(base, base / "bin" / "cursor", ["/work/my project", "--new-window"],
                     {"DISPLAY": ":7", "WAYLAND_DISPLAY": "wayland-1"})
    r = launch(env, "--inside", extra_path=proxy_binary.parent)
    assert r.returncode == 0, r.stderr
    record = json.loads((base / "record.json").read_text())
    profile = base / "home" / ".config" / "cursor-proxy" / "cursor-profile"
    assert record["argv"] == [f"--user-data-dir={profile}", f"--ignore-certificate-errors-spki-list={spki}",
                              "/work/my project", "--new-window"]
    assert profile.is_dir() and (profile.stat().st_mode & 0o077) == 0
    published = base / "published"
    assert record["env"]["NODE_EXTRA_CA_CERTS"] == str(published / "ca.crt")
    assert record["env"]["SSL_CERT_FILE"] == str(published / "ca-bundle.crt")
    assert record["env"]["NIX_SSL_CERT_FILE"] == str(published / "ca-bundle.crt")
    assert record["env"]["DISPLAY"] == ":7" and record["env"]["WAYLAND_DISPLAY"] == "wayland-1"


def test_inside_without_launch_env_is_a_clear_error(proxy_binary, world):
    base, env = world
    publish_ca(proxy_binary, base)
    r = launch(env, "--inside", extra_path=proxy_binary.parent)
    assert r.returncode == 1
    assert "launch.env is missing: start Cursor with cursor-proxy-launch, not with --inside" in r.stderr
    assert not (base / "record.json").exists()


def test_inside_without_published_ca_is_a_clear_error(world):
    base, env = world
    write_launch_env(base, base / "bin" / "cursor", [], {})
    r = launch(env, "--inside")
    assert r.returncode == 1
    assert "the proxy is not running" in r.stderr and "systemctl start cursor-proxy" in r.stderr
    assert not (base / "record.json").exists()


def test_outside_without_the_proxy_says_how_to_start_it(world):
    base, env = world
    r = launch(env)
    assert r.returncode == 1
    assert f"{base / 'published' / 'ca.crt'} is missing; start it with: sudo systemctl start cursor-proxy" in r.stderr


def test_outside_without_cursor_asks_for_its_path(world):
    base, env = world
    r = launch(env, "--cursor", "no-such-cursor")
    assert r.returncode == 1
    assert "cannot find the Cursor executable 'no-such-cursor'; pass --cursor PATH" in r.stderr


def test_outside_without_the_helper_is_a_clear_error(proxy_binary, world):
    """A real (private) system bus on which nobody owns the helper's name."""
    base, env = world
    publish_ca(proxy_binary, base)
    with private_bus(base) as address:
        r = launch(dict(env, DBUS_SYSTEM_BUS_ADDRESS=address))
    assert r.returncode == 1
    assert "the helper could not bring the network up" in r.stderr
    assert "org.cursorproxy.Helper1" in r.stderr  # busctl's own reason names the missing service
    assert not (base / "xdg-runtime" / "cursor-proxy" / "launch.env").exists()
