"""Bad input on the proxy's ports: the connection concerned is closed with a
clear log line, and the proxy keeps serving good requests."""
import os
import socket
import time

import pytest

import proxy_support
from proxy_support import curl


def assert_still_serves(proxy, upstream):
    r = curl(proxy, f"https://localhost:{upstream.port}/hello", cacert=proxy.ca_cert)
    assert r.returncode == 0, r.stderr
    assert b"hello from upstream" in r.stdout


def wait_closed(sock, timeout):
    """Seconds until the proxy closed sock (recv gives EOF or reset)."""
    started = time.monotonic()
    sock.settimeout(timeout)
    try:
        while sock.recv(4096):
            pass
    except ConnectionResetError:
        pass
    return time.monotonic() - started


def test_garbage_instead_of_connect_gets_405(start_proxy, https_upstream):
    upstream = https_upstream()
    proxy = start_proxy()
    sock = socket.create_connection(("127.0.0.1", proxy.port), timeout=5)
    sock.sendall(os.urandom(64) + b"\r\n\r\n")
    assert sock.recv(4096).startswith(b"HTTP/1.1 405 ")
    sock.close()
    proxy.wait_log(r"warning proxy: bad CONNECT request.*only CONNECT is supported")
    assert_still_serves(proxy, upstream)


def test_tls_looking_garbage_is_closed_as_malformed(start_proxy, https_upstream):
    upstream = https_upstream()
    proxy = start_proxy()
    sock = proxy_support.open_tunnel(proxy.port, f"localhost:{upstream.port}")
    sock.sendall(b"\x16\x03\x01\x00\x10" + b"\x02" + os.urandom(15))   # a record holding a ServerHello?!
    assert wait_closed(sock, 5) < 5
    proxy.wait_log(r"warning proxy: malformed ClientHello")
    assert_still_serves(proxy, upstream)


def test_half_a_client_hello_times_out(start_proxy, https_upstream):
    upstream = https_upstream()
    proxy = start_proxy("--handshake-timeout", "1")
    hello = proxy_support.client_hello("localhost")
    sock = proxy_support.open_tunnel(proxy.port, f"localhost:{upstream.port}")
    sock.sendall(hello[:len(hello) // 2])
    assert 0.5 < wait_closed(sock, 5) < 3
    proxy.wait_log(r"connection setup timed out.*stage=\"waiting for the ClientHello\" timeout_s=1")
    assert_still_serves(proxy, upstream)


def test_client_that_never_finishes_its_handshake_times_out(start_proxy, https_upstream):
    upstream = https_upstream()
    proxy = start_proxy("--handshake-timeout", "1")
    sock = proxy_support.open_tunnel(proxy.port, f"localhost:{upstream.port}")
    sock.sendall(proxy_support.client_hello("localhost"))
    # We get the ServerHello flight, then say nothing.
    sock.settimeout(5)
    assert sock.recv(5)[:1] == b"\x16"
    assert wait_closed(sock, 5) < 3
    proxy.wait_log(r"connection setup timed out.*stage=\"TLS handshake with the client\"")
    assert_still_serves(proxy, upstream)


def test_ten_thousand_dropped_connections(start_proxy, https_upstream):
    upstream = https_upstream()
    proxy = start_proxy("-v", "--max-connections", "256")
    started = time.monotonic()
    for _ in range(10_000 // 200):
        batch = [socket.create_connection(("127.0.0.1", proxy.port), timeout=5) for _ in range(200)]
        for sock in batch:
            sock.close()
    assert time.monotonic() - started < 30
    assert_still_serves(proxy, upstream)
    deadline = time.monotonic() + 20
    while proxy.log().count("client left before sending a CONNECT request") < 10_000 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert proxy.log().count("client left before sending a CONNECT request") == 10_000
    assert "error" not in proxy.log().replace("error=", "")


def test_at_the_connection_limit_new_clients_wait_and_go_in_as_soon_as_a_slot_frees(start_proxy, https_upstream):
    upstream = https_upstream()
    proxy = start_proxy("--max-connections", "2")
    target = f"localhost:{upstream.port}"
    first = proxy_support.open_tunnel(proxy.port, target)
    second = proxy_support.open_tunnel(proxy.port, target)
    waiting = socket.create_connection(("127.0.0.1", proxy.port), timeout=5)
    waiting.sendall(f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n".encode())
    waiting.settimeout(1.0)
    with pytest.raises(socket.timeout):
        waiting.recv(100)   # still in the accept queue: nobody answers
    proxy.wait_log(r"connection limit reached; new connections wait in the accept queue.*limit=2")
    first.close()
    waiting.settimeout(5)
    started = time.monotonic()
    assert waiting.recv(100).startswith(b"HTTP/1.1 200")
    assert time.monotonic() - started < 0.5   # promptly, once the slot is free
    assert proxy.counters()["connections.limit_waits"] >= 1
    second.close()
    waiting.close()
