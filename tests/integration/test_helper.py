"""cursor-proxy-helper against real kernel objects and a private system bus.

Every test uses its own namespace/veth/table names and subnet; a second
namespace made by the test plays the internet behind a test-made uplink.
"""
import json
import pathlib
import xml.etree.ElementTree as ET
import socket
import struct
import subprocess
import threading

import pytest

from helper_support import (BUILD, GROUP, as_user, IFACE, ROOT, PERMISSIVE_POLICY, Helper, Names, call, call_error, get_property,
                            helper_binary, in_namespace, ip_json, link_exists, netns_list, nft_table, nothing_made,
                            private_bus, remove_everything, run, server_namespace, helper_users, workdir,
                            write_config)

SO_ORIGINAL_DST = 80


@pytest.fixture(scope="module")
def users():
    with helper_users() as ids:
        yield ids


@pytest.fixture
def world():
    """Names, a server namespace behind the uplink, a private bus, a config."""
    names = Names()
    with workdir() as wd, server_namespace(names), private_bus(wd) as address:
        started = []
        try:
            world = type("World", (), {})()
            world.names, world.dir, world.address = names, wd, address
            world.config = write_config(wd / "helper.conf", names)

            def start(config=None, extra_args=()):
                h = Helper(address, config or world.config, extra_args)
                started.append(h)
                return h

            world.start = start
            yield world
        finally:
            for h in started:
                h.stop()
            remove_everything(names)


def up(world):
    h = world.start().wait_ready()
    assert json.loads(call(h.env, "Up").stdout)["data"] == [True]
    return h


def forwarding(ifname, netns=None):
    prefix = ["ip", "netns", "exec", netns] if netns else []
    return run(prefix + ["sysctl", "-n", f"net.ipv4.conf.{ifname}.forwarding"]).stdout.strip()


class OriginalDstListener:
    """A stand-in for the proxy: accepts on host address:port and records
    each connection's peer and SO_ORIGINAL_DST."""

    def __init__(self, address, port):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((address, port))
        self.sock.listen()
        self.sock.settimeout(10)
        self.seen = []
        self.thread = threading.Thread(target=self._accept_one, daemon=True)
        self.thread.start()

    def _accept_one(self):
        try:
            conn, peer = self.sock.accept()
        except OSError:
            return
        with conn:
            raw = conn.getsockopt(socket.SOL_IP, SO_ORIGINAL_DST, 16)
            port, packed = struct.unpack_from("!2xH4s", raw)
            self.seen.append((peer[0], socket.inet_ntoa(packed), port, conn.recv(100)))

    def close(self):
        self.thread.join(timeout=10)
        self.sock.close()


def tcp_client(host, port, timeout=3):
    return (f"import socket; s = socket.create_connection(('{host}', {port}), timeout={timeout}); "
            "s.sendall(b'hello'); s.close()")


def test_up_builds_everything_and_down_removes_it(world):
    n = world.names
    uplink_forwarding_before = forwarding(n.uplink)
    h = up(world)

    assert n.namespace in netns_list()
    host_link = ip_json("-d", "addr", "show", "dev", n.host_if)[0]
    assert host_link["linkinfo"]["info_kind"] == "veth"
    assert "UP" in host_link["flags"]
    assert [(a["local"], a["prefixlen"]) for a in host_link["addr_info"] if a["family"] == "inet"] == [(n.host_addr, 24)]
    assert not [a for a in host_link["addr_info"] if a["family"] == "inet6"]
    inner = {link["ifname"]: link for link in ip_json("-d", "addr", netns=n.namespace)}
    assert set(inner) == {"lo", n.ns_if}
    assert "UP" in inner["lo"]["flags"] and "UP" in inner[n.ns_if]["flags"]
    assert [(a["local"], a["prefixlen"]) for a in inner[n.ns_if]["addr_info"] if a["family"] == "inet"] == [(n.ns_addr, 24)]
    assert not [a for link in inner.values() for a in link["addr_info"] if a["family"] == "inet6"], "IPv6 must be off"
    assert run(["ip", "netns", "exec", n.namespace, "sysctl", "-n", "net.ipv6.conf.all.disable_ipv6"]).stdout.strip() == "1"
    routes = ip_json("route", netns=n.namespace)
    assert {"dst": "default", "gateway": n.host_addr, "dev": n.ns_if} in [
        {k: r.get(k) for k in ("dst", "gateway", "dev")} for r in routes]

    table = nft_table(n.table)["nftables"]
    chains = {c["chain"]["name"]: c["chain"] for c in table if "chain" in c}
    assert {name: (c["type"], c["hook"], c["prio"]) for name, c in chains.items()} == {
        "prerouting": ("nat", "prerouting", -100), "input": ("filter", "input", 0),
        "forward": ("filter", "forward", 0), "postrouting": ("nat", "postrouting", 100)}
    listing = run(["nft", "list", "table", "inet", n.table]).stdout
    assert f'iifname "{n.host_if}" tcp dport 443 redirect to :{n.port}' in listing
    assert f'iifname "{n.host_if}" udp dport 443 drop' in listing
    assert f'oifname "{n.uplink}" ip saddr {n.subnet} masquerade' in listing

    with open(f"/etc/netns/{n.namespace}/resolv.conf") as f:
        assert f"nameserver {n.server_addr}\n" in f.read()
    assert forwarding(n.host_if) == "1" and forwarding(n.uplink) == "1"

    # TCP 443 to the "internet" lands on the proxy port with the original destination.
    listener = OriginalDstListener(n.host_addr, n.port)
    r = in_namespace(n.namespace, tcp_client(n.server_addr, 443))
    listener.close()
    assert r.returncode == 0, r.stderr
    assert listener.seen == [(n.ns_addr, n.server_addr, 443, b"hello")]

    # Other TCP is forwarded and masqueraded out of the uplink.
    server = subprocess.Popen(
        ["ip", "netns", "exec", n.server_ns, "/usr/bin/python3", "-c",
         "import socket; s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); "
         f"s.bind(('{n.server_addr}', 8080)); s.listen(); s.settimeout(8); c, a = s.accept(); "
         "print(a[0], c.recv(10).decode(), flush=True)"],
        stdout=subprocess.PIPE, text=True)
    try:
        r = in_namespace(n.namespace, "import time; time.sleep(0.3); " + tcp_client(n.server_addr, 8080))
        assert r.returncode == 0, r.stderr
        assert server.communicate(timeout=10)[0].split() == [n.uplink_addr, "hello"]
    finally:
        server.kill()
        server.wait()

    # UDP 443 (QUIC) never leaves the namespace; other UDP does.
    udp_server = subprocess.Popen(
        ["ip", "netns", "exec", n.server_ns, "/usr/bin/python3", "-c",
         "import socket, select\n"
         "socks = []\n"
         "for port in (443, 4443):\n"
         f"    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('{n.server_addr}', port)); socks.append(s)\n"
         "print('ready', flush=True)\n"
         "got = set()\n"
         "while True:\n"
         "    ready, _, _ = select.select(socks, [], [], 1.5)\n"
         "    if not ready: break\n"
         "    for s in ready: s.recv(100); got.add(s.getsockname()[1])\n"
         "print(sorted(got), flush=True)\n"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert udp_server.stdout.readline().strip() == "ready"
        r = in_namespace(n.namespace,
                         "import socket, time\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
                         f"for _ in range(3):\n    s.sendto(b'q', ('{n.server_addr}', 443)); s.sendto(b'u', ('{n.server_addr}', 4443)); time.sleep(0.05)\n")
        assert r.returncode == 0, r.stderr
        assert udp_server.communicate(timeout=10)[0].strip() == "[4443]"
    finally:
        udp_server.kill()
        udp_server.wait()

    assert json.loads(call(h.env, "Down").stdout)["data"] == [True]
    assert nothing_made(n)
    assert forwarding(n.uplink) == uplink_forwarding_before
    assert get_property(h.env, "State") == "down"


def test_up_twice_changes_nothing_and_down_twice_too(world):
    n = world.names
    h = up(world)
    index = ip_json("link", "show", "dev", n.host_if)[0]["ifindex"]
    handle = nft_table(n.table)["nftables"][1]["table"]["handle"]
    assert json.loads(call(h.env, "Up").stdout)["data"] == [False]
    assert ip_json("link", "show", "dev", n.host_if)[0]["ifindex"] == index
    assert nft_table(n.table)["nftables"][1]["table"]["handle"] == handle
    assert json.loads(call(h.env, "Down").stdout)["data"] == [True]
    assert json.loads(call(h.env, "Down").stdout)["data"] == [False]
    assert nothing_made(n)


@pytest.mark.parametrize("step", [1, 2, 4])
def test_helper_killed_mid_up_then_up_again(world, step):
    n = world.names
    crashing = world.start(extra_args=["--test-abort-after", str(step)]).wait_ready()
    call(crashing.env, "Up", check=False)
    assert crashing.stop() == 3, "the helper should have died mid-Up"
    assert n.namespace in netns_list() and nft_table(n.table) is None, "expected a half-made setup"

    h = world.start().wait_ready()  # reconciles the leftovers at start
    call(h.env, "Up")
    assert get_property(h.env, "State") == "up"
    assert json.loads(call(h.env, "GetStatus").stdout)["data"][0]["Complete"]["data"] is True
    assert link_exists(n.ns_if, netns=n.namespace)
    assert nft_table(n.table) is not None
    call(h.env, "Down")
    assert nothing_made(n)


def test_leftovers_are_reconciled_at_start_and_foreign_objects_untouched(world):
    n = world.names
    foreign_table, foreign_link = f"cpt_foreign_{n.suffix}", f"cpf{n.suffix}"
    try:
        # Not ours: a host table and a link with a route.
        run(["nft", "add", "table", "inet", foreign_table])
        run(["nft", "add", "chain", "inet", foreign_table, "c", "{ type filter hook forward priority 5; }"])
        run(["nft", "add", "rule", "inet", foreign_table, "c", "iifname", f'"{n.host_if}"', "counter"])
        run(["ip", "link", "add", foreign_link, "type", "veth", "peer", "name", foreign_link + "p"])
        run(["ip", "route", "add", "blackhole", f"10.216.{n.subnet_prefix.split('.')[2]}.0/24"])
        foreign_before = run(["nft", "list", "table", "inet", foreign_table]).stdout
        # Ours, as a crash before the veth would leave them.
        run(["ip", "netns", "add", n.namespace])
        run(["nft", "add", "table", "inet", n.table])

        h = world.start().wait_ready()
        assert get_property(h.env, "State") == "down"
        assert nothing_made(n), "partial leftovers must be removed at start"

        call(h.env, "Up")
        call(h.env, "Down")
        assert run(["nft", "list", "table", "inet", foreign_table]).stdout == foreign_before
        assert link_exists(foreign_link)
        assert any(r["dst"] == f"10.216.{n.subnet_prefix.split('.')[2]}.0/24" for r in ip_json("route"))
    finally:
        run(["nft", "delete", "table", "inet", foreign_table], check=False)
        run(["ip", "link", "del", foreign_link], check=False)
        run(["ip", "route", "del", "blackhole", f"10.216.{n.subnet_prefix.split('.')[2]}.0/24"], check=False)


def test_a_kept_network_is_adopted_by_the_next_helper(world):
    n = world.names
    first = up(world)
    assert first.stop() == 0  # teardown_on_stop = false (default): keep it
    assert n.namespace in netns_list() and nft_table(n.table) is not None
    h = world.start().wait_ready()
    assert get_property(h.env, "State") == "up"
    call(h.env, "Down")
    assert nothing_made(n)


def test_teardown_on_stop_removes_the_network(world):
    n = world.names
    config = write_config(world.dir / "teardown.conf", n, teardown_on_stop="true")
    h = world.start(config).wait_ready()
    call(h.env, "Up")
    assert h.stop() == 0
    assert nothing_made(n)


def test_fail_closed_allows_only_the_proxy(world):
    n = world.names
    config = write_config(world.dir / "closed.conf", n, fail_closed="true")
    h = world.start(config).wait_ready()
    call(h.env, "Up")
    assert get_property(h.env, "FailClosed") is True
    listener = OriginalDstListener(n.host_addr, n.port)
    assert in_namespace(n.namespace, tcp_client(n.server_addr, 443)).returncode == 0
    listener.close()
    assert [s[1:3] for s in listener.seen] == [(n.server_addr, 443)]
    blocked = in_namespace(n.namespace, tcp_client(n.server_addr, 8080, timeout=1))
    assert blocked.returncode != 0 and "timed out" in blocked.stderr


def test_outsiders_are_refused_members_allowed_status_open(world, users):
    n = world.names
    member, outsider = users
    h = world.start().wait_ready()
    name, _ = call_error(h.env, "Up", user=outsider)
    assert name == "org.freedesktop.DBus.Error.AccessDenied"
    assert nothing_made(n)
    # Reading is open to everyone.
    status = json.loads(call(h.env, "GetStatus", user=outsider).stdout)["data"][0]
    assert status["State"]["data"] == "down" and status["ProxyPort"]["data"] == n.port
    assert get_property(h.env, "HostAddress", user=outsider) == n.host_addr

    assert json.loads(call(h.env, "Up", user=member).stdout)["data"] == [True]
    name, _ = call_error(h.env, "Down", user=outsider)
    assert name == "org.freedesktop.DBus.Error.AccessDenied"
    assert n.namespace in netns_list()
    assert json.loads(call(h.env, "Down", user=member).stdout)["data"] == [True]
    assert nothing_made(n)


def test_helper_checks_callers_even_under_a_permissive_policy(users):
    member, outsider = users
    names = Names()
    with workdir() as wd, server_namespace(names), private_bus(wd, PERMISSIVE_POLICY) as address:
        h = Helper(address, write_config(wd / "helper.conf", names))
        try:
            h.wait_ready()
            name, message = call_error(h.env, "Up", user=outsider)
            assert name == "org.freedesktop.DBus.Error.AccessDenied"
            assert f"uid {outsider[0]} may not change" in message and f"'{GROUP}'" in message
            assert nothing_made(names)
            call(h.env, "Up", user=member)
            assert names.namespace in netns_list()
            call(h.env, "Down", user=member)
        finally:
            h.stop()
            remove_everything(names)


def test_only_root_may_own_the_bus_name(world, users):
    for user in users:
        r = run(as_user(user, ["dbus-send", "--system", "--print-reply", "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus",
                 "org.freedesktop.DBus.RequestName", "string:org.cursorproxy.Helper1", "uint32:0"]),
                check=False, env=dict(DBUS_SYSTEM_BUS_ADDRESS=world.address, PATH="/usr/bin:/bin"))
        assert r.returncode != 0 and "org.freedesktop.DBus.Error.AccessDenied" in r.stderr, r.stdout + r.stderr
    # root may
    h = world.start().wait_ready()
    assert get_property(h.env, "State") == "down"


def test_overlapping_subnet_is_refused_and_nothing_is_made(world):
    n = world.names
    dummy = f"cpd{n.suffix}"
    try:
        run(["ip", "link", "add", dummy, "type", "veth", "peer", "name", dummy + "p"])
        run(["ip", "addr", "add", f"{n.subnet_prefix}.200/25", "dev", dummy])
        run(["ip", "link", "set", dummy, "up"])
        r = run([str(helper_binary()), "--check", "--config", str(world.config)], check=False)
        assert r.returncode == 1
        expected = f"subnet {n.subnet} overlaps route {n.subnet_prefix}.128/25 via {dummy}"
        assert expected in r.stdout
        h = world.start().wait_ready()
        name, message = call_error(h.env, "Up")
        assert name == "org.cursorproxy.Helper1.Error.SubnetOverlap"
        assert expected in message
        assert nothing_made(n)
        assert get_property(h.env, "State") == "failed"
    finally:
        run(["ip", "link", "del", dummy], check=False)


def test_unknown_uplink_is_refused_and_nothing_is_made(world):
    n = world.names
    config = write_config(world.dir / "uplink.conf", n, uplink="cpt-nosuch0")
    h = world.start(config).wait_ready()
    name, message = call_error(h.env, "Up")
    assert name == "org.cursorproxy.Helper1.Error.NoSuchUplink"
    assert "uplink interface cpt-nosuch0 does not exist" in message
    assert nothing_made(n)


@pytest.mark.parametrize("key,value,message", [
    ("proxy_port", "70000", "proxy_port '70000' is not a port number (1 to 65535)"),
    ("proxy_port", "http", "proxy_port 'http' is not a port number"),
    ("namespace", "evil/name", "namespace 'evil/name' is not a valid name"),
    ("namespace", "..", "namespace '..' is not a valid name"),
    ("subnet", "10.1.2.3/24", "subnet '10.1.2.3/24' is not an IPv4 network"),
    ("host_interface", "much-too-long-ifname", "not a valid interface name"),
])
def test_bad_config_is_a_clear_error_and_makes_nothing(world, key, value, message):
    config = write_config(world.dir / "bad.conf", world.names, **{key: value})
    for args in (["--check"], []):
        r = run([str(helper_binary()), *args, "--config", str(config)], check=False,
                env={"DBUS_SYSTEM_BUS_ADDRESS": world.address})
        assert r.returncode == 1
        assert message in r.stderr and str(config) in r.stderr
    assert nothing_made(world.names)


def test_missing_config_file_and_bad_usage():
    r = run([str(helper_binary()), "--config", "/nonexistent/helper.conf"], check=False)
    assert r.returncode == 1 and "cannot read config file /nonexistent/helper.conf" in r.stderr
    r = run([str(helper_binary()), "--frobnicate"], check=False)
    assert r.returncode == 2 and "unknown option '--frobnicate'" in r.stderr


def test_check_prints_the_plan_and_help_documents_the_config(world):
    n = world.names
    r = run([str(helper_binary()), "--check", "--config", str(world.config)])
    assert f"veth         {n.host_if} {n.host_addr}/24 (host) <-> {n.ns_if} {n.ns_addr}/24 (namespace)" in r.stdout
    assert f'iifname "{n.host_if}" tcp dport 443 redirect to :{n.port}' in r.stdout
    assert r.stdout.rstrip().endswith("checks       ok")
    assert nothing_made(n)
    help_text = run([str(helper_binary()), "--help"]).stdout
    for word in ("SYNOPSIS", "--check", "--config FILE", "proxy_port", "fail_closed", "teardown_on_stop", "EXIT STATUS"):
        assert word in help_text


def interface_members(xml_text):
    """(kind, name, signature) of every member of our interface in introspection XML."""
    root = ET.fromstring(xml_text)
    iface = next(i for i in root.iter("interface") if i.get("name") == IFACE)
    members = set()
    for element in iface:
        if element.tag in ("method", "signal"):
            args = tuple((a.get("type"), a.get("direction", "out")) for a in element.iter("arg"))
            members.add((element.tag, element.get("name"), args))
        elif element.tag == "property":
            members.add(("property", element.get("name"), element.get("type")))
    return members


def test_shipped_introspection_xml_matches_the_live_object(world):
    h = world.start().wait_ready()
    live = run(["busctl", "--system", "--xml-interface", "introspect", "org.cursorproxy.Helper1",
                "/org/cursorproxy/Helper1"], env=h.env).stdout
    shipped = (ROOT / "helper" / "org.cursorproxy.Helper1.xml").read_text()
    assert interface_members(live) == interface_members(shipped)
    assert ("method", "Up", (("b", "out"),)) in interface_members(shipped)


def test_systemd_unit_verifies_clean(tmp_path):
    unit = (BUILD / "helper" / "cursor-proxy-helper.service").read_text()
    exec_line = next(line for line in unit.splitlines() if line.startswith("ExecStart="))
    installed_path = exec_line.split("=", 1)[1].split()[0]
    copy = tmp_path / "cursor-proxy-helper.service"
    copy.write_text(unit.replace(installed_path, str(BUILD / "helper" / "cursor-proxy-helper")))
    r = run(["systemd-analyze", "verify", str(copy)], check=False)
    assert r.returncode == 0 and r.stdout == "" and r.stderr == "", r.stdout + r.stderr
    assert "Type=dbus" in unit and "BusName=org.cursorproxy.Helper1" in unit
