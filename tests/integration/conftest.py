"""Shared fixtures for the integration tests.

These tests use real kernel objects (network namespaces, veth, nftables) and
real peers (curl, nghttp, node...). They need root; without it they fail
loudly instead of skipping, because a skipped test must never look like a pass.
"""
import os
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BUILD = pathlib.Path(os.environ.get("BUILDDIR", ROOT / "build"))


def pytest_configure(config):
    if os.geteuid() != 0:
        raise pytest.UsageError("integration tests need root (namespaces, nftables); run: sudo scripts/test")


@pytest.fixture(scope="session")
def proxy_binary():
    path = BUILD / "src" / "cursor-proxy"
    assert path.exists(), f"{path} missing: run scripts/build first"
    return path


# --- Whole-proxy fixtures (see proxy_support.py): a test PKI, HTTPS upstreams
# on loopback, and `cursor-proxy run` processes that are stopped at teardown.

import proxy_support  # noqa: E402


@pytest.fixture(scope="session")
def pki(tmp_path_factory):
    """Test upstream CA (pki.ca_cert) and a server cert for api2.cursor.sh,
    *.api5.cursor.sh, localhost, 127.0.0.1, ::1 (pki.server_cert/server_key);
    pki.issue(name, dns, ips) makes more."""
    return proxy_support.Pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def https_upstream(pki):
    """https_upstream(cert=None, key=None, host="127.0.0.1", name="upstream") →
    a running HttpsUpstream (.port); GET /hello, GET /bytes/N, POST /echo."""
    servers = []

    def start(cert=None, key=None, host="127.0.0.1", name="upstream"):
        server = proxy_support.HttpsUpstream(cert or pki.server_cert, key or pki.server_key, host, name)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


@pytest.fixture
def start_proxy(proxy_binary, pki, tmp_path):
    """start_proxy(*args, upstream_ca=True, env=None, netns=None) → a running
    Proxy (.port, .ca_cert, .log(), .wait_log(re), .stop()). Default listener:
    --listen-connect 127.0.0.1:0; upstream trust: the test PKI's CA. The data
    dir lives under /var/lib/cursor-proxy-tests (captures refuse /tmp)."""
    started = []

    def start(*args, upstream_ca=True, env=None, netns=None):
        args = list(args)
        if not any(str(a) in ("--listen", "--listen-connect") for a in args):
            args += ["--listen-connect", "127.0.0.1:0"]
        if upstream_ca:
            args += ["--upstream-ca", pki.ca_cert]
        data_dir = proxy_support.new_data_dir()
        try:
            proxy = proxy_support.Proxy(proxy_binary, args, data_dir, tmp_path / f"proxy-{len(started)}.log",
                                        env=env, netns=netns)
        except BaseException:
            proxy_support.remove_data_dir(data_dir)
            raise
        started.append(proxy)
        return proxy

    yield start
    for proxy in started:
        proxy.stop()
        # Shown by pytest only when the test failed.
        print(f"--- cursor-proxy log ({proxy.log_path}):\n{proxy.log()[-20000:]}")
        proxy_support.remove_data_dir(proxy.data_dir)
