"""Test world for cursor-proxy-helper: a private system-type dbus-daemon that
includes the project's own bus policy, a helper process pointed at it, unique
names for every kernel object, throwaway users, and clean-up of all of it.

Everything a test creates carries a random suffix, so tests never collide
with each other or with a real install; teardown removes it even on failure.
"""
import contextlib
import json
import os
import pathlib
import secrets
import shutil
import signal
import subprocess
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
BUILD = pathlib.Path(os.environ.get("BUILDDIR", ROOT / "build"))
POLICY = ROOT / "helper" / "org.cursorproxy.Helper1.conf"
BUS_NAME = "org.cursorproxy.Helper1"
OBJECT = "/org/cursorproxy/Helper1"
IFACE = "org.cursorproxy.Helper1"
GROUP = "cursor-proxy"  # the group the shipped policy file names

BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Introspectable"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Properties"/>
  </policy>
  <include>{policy}</include>
{extra}
</busconfig>
"""

# A deliberately wrong policy, used to show the helper checks callers itself.
PERMISSIVE_POLICY = """  <policy context="default">
    <allow send_destination="org.cursorproxy.Helper1"/>
  </policy>"""


def helper_binary():
    path = BUILD / "helper" / "cursor-proxy-helper"
    assert path.exists(), f"{path} missing: run scripts/build first"
    return path


def run(cmd, check=True, **kw):
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    kw.setdefault("timeout", 20)
    r = subprocess.run(cmd, **kw)
    if check and r.returncode != 0:
        raise AssertionError(f"{cmd} failed ({r.returncode}): {r.stdout}{r.stderr}")
    return r


def ip_json(*args, netns=None):
    cmd = ["ip"] + (["-n", netns] if netns else []) + ["-j"] + list(args)
    out = run(cmd).stdout.strip()
    return json.loads(out) if out else []


def link_exists(name, netns=None):
    cmd = ["ip"] + (["-n", netns] if netns else []) + ["link", "show", "dev", name]
    return run(cmd, check=False).returncode == 0


def nft_table(name):
    """The table as `nft -j list table` shows it, or None if absent."""
    r = run(["nft", "-j", "list", "table", "inet", name], check=False)
    return json.loads(r.stdout) if r.returncode == 0 else None


def netns_list():
    return {entry["name"] for entry in ip_json("netns", "list")}


class Names:
    """Unique names for one test's objects."""

    def __init__(self):
        s = secrets.token_hex(3)
        self.suffix = s
        self.namespace = f"cpt-{s}"
        self.host_if = f"cph{s}"
        self.ns_if = f"cpn{s}"
        self.table = f"cpt_{s}"
        octet = 100 + secrets.randbelow(150)
        self.subnet_prefix = f"10.213.{octet}"
        self.subnet = f"{self.subnet_prefix}.0/24"
        self.host_addr = f"{self.subnet_prefix}.1"
        self.ns_addr = f"{self.subnet_prefix}.2"
        self.port = 20000 + secrets.randbelow(20000)
        # The fake "internet": a second namespace behind its own veth (our uplink).
        self.server_ns = f"cpt-srv-{s}"
        self.uplink = f"cpu{s}"
        self.server_if = f"cps{s}"
        self.server_prefix = f"10.214.{octet}"
        self.uplink_addr = f"{self.server_prefix}.1"
        self.server_addr = f"{self.server_prefix}.2"


def write_config(path, names, **overrides):
    values = {
        "namespace": names.namespace,
        "host_interface": names.host_if,
        "namespace_interface": names.ns_if,
        "subnet": names.subnet,
        "proxy_port": str(names.port),
        "uplink": names.uplink,
        "dns": names.server_addr,
        "nft_table": names.table,
        "allowed_group": GROUP,
        "state_dir": str(path.parent / "state"),
    }
    values.update(overrides)
    path.write_text("".join(f"{k} = {v}\n" for k, v in values.items()))
    return path


@contextlib.contextmanager
def server_namespace(names):
    """The second namespace, reached from the host through names.uplink."""
    try:
        run(["ip", "netns", "add", names.server_ns])
        run(["ip", "link", "add", names.uplink, "type", "veth", "peer", "name", names.server_if,
             "netns", names.server_ns])
        run(["ip", "addr", "add", f"{names.uplink_addr}/24", "dev", names.uplink])
        run(["ip", "link", "set", names.uplink, "up"])
        n = ["ip", "-n", names.server_ns]
        run(n + ["addr", "add", f"{names.server_addr}/24", "dev", names.server_if])
        run(n + ["link", "set", names.server_if, "up"])
        run(n + ["link", "set", "lo", "up"])
        run(n + ["route", "add", "default", "via", names.uplink_addr])
        yield
    finally:
        run(["ip", "link", "del", names.uplink], check=False)
        run(["ip", "netns", "del", names.server_ns], check=False)


ETC_NETNS_EXISTED = os.path.exists("/etc/netns")


def remove_everything(names):
    """Last-resort clean-up of whatever the helper may have left."""
    run(["nft", "delete", "table", "inet", names.table], check=False)
    run(["ip", "link", "del", names.host_if], check=False)
    run(["ip", "netns", "del", names.namespace], check=False)
    shutil.rmtree(f"/etc/netns/{names.namespace}", ignore_errors=True)
    if not ETC_NETNS_EXISTED:  # the helper made it for us; leave no trace
        with contextlib.suppress(OSError):
            os.rmdir("/etc/netns")


@contextlib.contextmanager
def private_bus(workdir, extra_policy=""):
    """A system-type dbus-daemon including the project's policy file."""
    socket = workdir / "system_bus_socket"
    config = workdir / "bus.conf"
    config.write_text(BUS_CONFIG.format(socket=socket, policy=POLICY, extra=extra_policy))
    proc = subprocess.Popen(["dbus-daemon", f"--config-file={config}", "--nofork", "--nopidfile"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 10
        while not socket.exists():
            assert proc.poll() is None, f"dbus-daemon exited: {proc.stderr.read()}"
            assert time.monotonic() < deadline, "dbus-daemon did not create its socket"
            time.sleep(0.02)
        os.chmod(socket, 0o666)
        yield f"unix:path={socket}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


class Helper:
    """A running cursor-proxy-helper on the private bus."""

    def __init__(self, address, config, extra_args=()):
        self.address = address
        self.env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=address)
        self.proc = subprocess.Popen([str(helper_binary()), "--config", str(config), "--verbose", *extra_args],
                                     env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def wait_ready(self, timeout=15):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"helper exited ({self.proc.returncode}): {self.proc.stderr.read()}"
            r = run(["busctl", "--system", "status", BUS_NAME], check=False, env=self.env)
            if r.returncode == 0:
                return self
            time.sleep(0.05)
        raise AssertionError("helper did not take its bus name")

    def stop(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


def as_user(user, cmd):
    """cmd as is (root) or, with user=(uid, gid, groups), run through setpriv."""
    if user is None:
        return cmd
    uid, gid, groups = user
    return ["setpriv", f"--reuid={uid}", f"--regid={gid}",
            f"--groups={','.join(map(str, groups))}" if groups else "--clear-groups", *cmd]


def busctl(env, *args, user=None, check=True):
    """busctl --system as root or, with user=(uid, gid, groups), as someone else."""
    return run(as_user(user, ["busctl", "--system", "--json=short", *args]), check=check, env=env)


def call(env, method, user=None, check=True):
    return busctl(env, "call", BUS_NAME, OBJECT, IFACE, method, user=user, check=check)


def get_property(env, name, user=None):
    out = busctl(env, "get-property", BUS_NAME, OBJECT, IFACE, name, user=user).stdout
    return json.loads(out)["data"]


@contextlib.contextmanager
def helper_users():
    """The project group (created if missing), a member and an outsider."""
    created_group = run(["getent", "group", GROUP], check=False).returncode != 0
    suffix = secrets.token_hex(3)
    member, outsider = f"cptm{suffix}", f"cpto{suffix}"
    try:
        if created_group:
            run(["groupadd", "--system", GROUP])
        run(["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", "-G", GROUP, member])
        run(["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", outsider])

        def ids(name):
            uid = int(run(["id", "-u", name]).stdout)
            gid = int(run(["id", "-g", name]).stdout)
            groups = [int(g) for g in run(["id", "-G", name]).stdout.split()]
            return uid, gid, groups

        yield ids(member), ids(outsider)
    finally:
        run(["userdel", member], check=False)
        run(["userdel", outsider], check=False)
        if created_group:
            run(["groupdel", GROUP], check=False)


@contextlib.contextmanager
def workdir():
    path = pathlib.Path(tempfile.mkdtemp(prefix="cpt-helper-"))
    os.chmod(path, 0o755)  # the bus socket must be reachable by the test users
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def call_error(env, method, user=None):
    """Calls a method expecting a D-Bus error; returns (error name, message)."""
    cmd = ["dbus-send", "--system", "--print-reply", f"--dest={BUS_NAME}", OBJECT, f"{IFACE}.{method}"]
    r = run(as_user(user, cmd), check=False, env=env)
    assert r.returncode != 0, f"{method} succeeded but an error was expected: {r.stdout}"
    # dbus-send prints "Error <name>: <message>"
    line = r.stderr.strip().splitlines()[0]
    assert line.startswith("Error "), r.stderr
    name, _, message = line[len("Error "):].partition(": ")
    return name, message


def in_namespace(netns, code, timeout=10):
    """Runs Python code inside a namespace (a test client)."""
    return run(["ip", "netns", "exec", netns, "/usr/bin/python3", "-c", code], check=False, timeout=timeout)


def nothing_made(names):
    """True if none of the helper's objects exist."""
    return (names.namespace not in netns_list() and not link_exists(names.host_if)
            and nft_table(names.table) is None and not os.path.exists(f"/etc/netns/{names.namespace}"))
