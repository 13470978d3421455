"""Transparent mode with real kernel plumbing made by the test: three network
namespaces (client, router, server), two veth pairs, and an nftables table in
the router that redirects the client's TCP/443 to the proxy, which runs in the
router and reads the original destination with SO_ORIGINAL_DST."""
import os
import pathlib
import subprocess
import uuid

import pytest

import proxy_support

PORT = 18443
SUPPORT = pathlib.Path(__file__).with_name("proxy_support.py")


def sh(*argv, check=True):
    return subprocess.run([str(a) for a in argv], check=check, capture_output=True, text=True)


@pytest.fixture
def world(pki):
    """Namespaces cpc-*/cpr-*/cps-* with 10.77.1.0/24 (client↔router) and
    10.77.2.0/24 (router↔server); all removed at teardown, even on failure."""
    tag = uuid.uuid4().hex[:6]
    names = {"client": f"cpc-{tag}", "router": f"cpr-{tag}", "server": f"cps-{tag}"}
    processes = []
    try:
        for ns in names.values():
            sh("ip", "netns", "add", ns)
            sh("ip", "-n", ns, "link", "set", "lo", "up")
        for side, subnet in (("client", 1), ("server", 2)):
            outer, inner = f"cpv{subnet}r{tag}", f"cpv{subnet}x{tag}"
            sh("ip", "link", "add", outer, "netns", names["router"], "type", "veth", "peer", "name", inner,
               "netns", names[side])
            sh("ip", "-n", names[side], "addr", "add", f"10.77.{subnet}.2/24", "dev", inner)
            sh("ip", "-n", names[side], "addr", "add", f"fd77:{subnet}::2/64", "dev", inner, "nodad")
            sh("ip", "-n", names[side], "link", "set", inner, "up")
            sh("ip", "-n", names[side], "route", "add", "default", "via", f"10.77.{subnet}.1")
            sh("ip", "-n", names[side], "-6", "route", "add", "default", "via", f"fd77:{subnet}::1")
            sh("ip", "-n", names["router"], "link", "set", outer, "up")
        yield {"tag": tag, "processes": processes, **names}
    finally:
        for proc in processes:
            proc.kill()
            proc.wait()
        for ns in names.values():
            sh("ip", "netns", "del", ns, check=False)
        leftovers = sh("ip", "netns", "list").stdout
        assert tag not in leftovers, leftovers


def add_router_addresses(world):
    # Added after the proxy started: IP_FREEBIND lets it bind 10.77.1.1 early.
    sh("ip", "-n", world["router"], "addr", "add", "10.77.1.1/24", "dev", f"cpv1r{world['tag']}")
    sh("ip", "-n", world["router"], "addr", "add", "10.77.2.1/24", "dev", f"cpv2r{world['tag']}")
    for subnet in (1, 2):
        sh("ip", "-n", world["router"], "addr", "add", f"fd77:{subnet}::1/64", "dev", f"cpv{subnet}r{world['tag']}",
           "nodad")


def add_redirect(world):
    table = f"cursor_proxy_test_{world['tag']}"
    rules = f"""
table inet {table} {{
    chain prerouting {{
        type nat hook prerouting priority dstnat; policy accept;
        iifname "cpv1r{world['tag']}" tcp dport 443 redirect to :{PORT}
    }}
}}
"""
    subprocess.run(["ip", "netns", "exec", world["router"], "nft", "-f", "-"], input=rules, text=True, check=True)
    assert table in sh("ip", "netns", "exec", world["router"], "nft", "list", "tables").stdout


def start_server(world, pki, address="10.77.2.2"):
    proc = subprocess.Popen(["ip", "netns", "exec", world["server"], "/usr/bin/python3", SUPPORT, "serve",
                             pki.server_cert, pki.server_key, address, "443", "ns-server"],
                            stdout=subprocess.PIPE, text=True)
    world["processes"].append(proc)
    assert proc.stdout.readline().startswith(f"serving on {address}:443")


def client_curl(world, ca, *extra, url="https://api2.cursor.sh/hello", server="10.77.2.2"):
    return subprocess.run(["ip", "netns", "exec", world["client"], "curl", "-sS", "--max-time", "15", "--cacert",
                           str(ca), "--resolve", f"api2.cursor.sh:443:{server}", *extra, url],
                          capture_output=True, timeout=30)


def test_namespace_client_reaches_namespace_server_through_the_proxy(world, pki, start_proxy):
    proxy = start_proxy("--listen", f"10.77.1.1:{PORT}", "-v", netns=world["router"])
    add_router_addresses(world)
    add_redirect(world)
    start_server(world, pki)
    r = client_curl(world, proxy.ca_cert)
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"hello from ns-server path=/hello\n"
    # SO_ORIGINAL_DST gave the server's address, not the proxy's.
    proxy.wait_log(r"intercepting conn=\d+ client=10\.77\.1\.2:\d+ destination=10\.77\.2\.2:443 host=10\.77\.2\.2 "
                   r"sni=api2\.cursor\.sh alpn=http/1\.1")
    # The client saw our certificate, not the server's.
    r = client_curl(world, pki.ca_cert)
    assert r.returncode == 60, r.stderr


def test_connection_straight_to_the_listener_is_not_relayed(world, pki, start_proxy):
    proxy = start_proxy("--listen", f"10.77.1.1:{PORT}", "-v", netns=world["router"])
    add_router_addresses(world)
    add_redirect(world)
    r = client_curl(world, proxy.ca_cert, url=f"https://10.77.1.1:{PORT}/")
    assert r.returncode != 0
    proxy.wait_log(r"refusing a connection to the proxy's own listener .*destination=10\.77\.1\.1:" + str(PORT) +
                   r"|connection was not redirected by nftables")


def test_ipv6_redirect_uses_ip6t_so_original_dst(world, pki, start_proxy):
    proxy = start_proxy("--listen", f"[fd77:1::1]:{PORT}", "-v", netns=world["router"])
    add_router_addresses(world)
    add_redirect(world)   # the inet table's rule matches IPv6 too
    start_server(world, pki, "fd77:2::2")
    r = client_curl(world, proxy.ca_cert, server="[fd77:2::2]")
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"hello from ns-server path=/hello\n"
    proxy.wait_log(r"intercepting conn=\d+ client=\[fd77:1::2\]:\d+ destination=\[fd77:2::2\]:443 host=fd77:2::2 "
                   r"sni=api2\.cursor\.sh")
