"""The HTTP/1.1 relay (src/http1) between real peers: curl, python's
http.server and python3-websockets, through tests/tools/plain-relay on
loopback. The TLS pipeline is tested elsewhere; this is the relay alone."""
import asyncio
import socket
import subprocess
import threading
import time

import pytest

from http1_support import PlainRelay, Upstream, WebSocketEcho, raw_exchange, recv_until


@pytest.fixture
def upstream():
    server = Upstream()
    yield server
    server.close()


@pytest.fixture
def relay(upstream, tmp_path):
    r = PlainRelay(upstream.port, tmp_path=tmp_path)
    yield r
    r.close()


def curl(*args, check=True):
    return subprocess.run(["curl", "-sS", "--max-time", "60", *args], capture_output=True, check=check)


def test_keep_alive_reuses_one_connection_for_several_requests(relay):
    r = curl("-v", relay.url("/bytes/10"), relay.url("/bytes/20"), relay.url("/chunked"))
    assert r.stdout == bytes(10) + bytes(20) + b"hello world"
    assert b"Re-using existing connection" in r.stderr
    closed = relay.wait_for(lambda e: e["event"] == "stream_closed" and e["stream"] == 3)
    streams = [e for e in relay.events if e["event"] == "stream_closed"]
    assert [(e["connection"], e["stream"]) for e in streams] == [(1, 1), (1, 2), (1, 3)]
    assert [e["response_bytes"] for e in streams] == [10, 20, 11]
    assert closed[0]["error_code"] == 0


def test_request_headers_carry_pseudo_headers_then_fields(relay):
    curl("-H", "X-Test: yes", relay.url("/bytes/1?x=1"))
    request = relay.wait_for(lambda e: e["event"] == "request_headers")[0]
    headers = request["headers"]
    assert headers[:4] == [[":method", "GET"], [":path", "/bytes/1?x=1"],
                           [":authority", f"127.0.0.1:{relay.port}"], [":scheme", "http"]]
    assert ["X-Test", "yes"] in headers[4:]
    response = relay.wait_for(lambda e: e["event"] == "response_headers")[0]
    assert response["headers"][0] == [":status", "200"]
    assert ["Content-Length", "1"] in response["headers"]


def test_chunked_response_arrives_intact_and_trailers_are_reported(upstream, tmp_path):
    r = PlainRelay(upstream.port, "--bodies", tmp_path=tmp_path)
    try:
        # --raw: curl shows the chunk framing as received, so this checks the bytes are faithful.
        raw = curl("--raw", r.url("/chunked")).stdout
        assert raw == b"6;ext=1\r\nhello \r\n5\r\nworld\r\n0\r\nX-Trailer: done\r\n\r\n"
        trailers = r.wait_for(lambda e: e["event"] == "trailers")[0]
        assert trailers["direction"] == "response"
        assert trailers["headers"] == [["X-Trailer", "done"]]
        bodies = [e for e in r.events if e["event"] == "body" and e["direction"] == "response"]
        assert bytes.fromhex("".join(e["hex"] for e in bodies)) == b"hello world"
    finally:
        r.close()


def test_content_length_and_chunked_uploads_are_echoed(relay, tmp_path):
    payload = tmp_path / "payload"
    payload.write_bytes(bytes(range(256)) * 4096)  # 1 MiB
    echoed = curl("--data-binary", f"@{payload}", relay.url("/echo")).stdout
    assert echoed == payload.read_bytes()
    echoed = curl("-H", "Transfer-Encoding: chunked", "--data-binary", f"@{payload}", relay.url("/echo")).stdout
    assert echoed == payload.read_bytes()
    closed = relay.wait_for(lambda e: e["event"] == "stream_closed" and e["connection"] == 2)
    assert closed[0]["request_bytes"] == 1024 * 1024
    assert closed[0]["response_bytes"] == 1024 * 1024


def test_expect_100_continue(relay, tmp_path):
    payload = tmp_path / "payload"
    payload.write_bytes(b"x" * 100_000)
    r = curl("-v", "-H", "Expect: 100-continue", "--expect100-timeout", "30",
             "--data-binary", f"@{payload}", relay.url("/echo"))
    assert b"HTTP/1.1 100 Continue" in r.stderr
    assert r.stdout == payload.read_bytes()


def test_head_response_has_no_body_and_the_next_response_still_parses(relay):
    # Pipelined on one connection: if the relay waited for the 100 bytes the
    # HEAD response announces, the GET's response would never come through.
    with socket.create_connection(("127.0.0.1", relay.port), timeout=5) as s:
        s.sendall(b"HEAD /bytes/100 HTTP/1.1\r\nHost: t\r\n\r\nGET /bytes/3 HTTP/1.1\r\nHost: t\r\n\r\n")
        data = recv_until(s, lambda d: d.count(b"HTTP/1.1 200") == 2 and d.endswith(b"\r\n\r\n" + bytes(3)))
    first, second = data.split(b"HTTP/1.1 200")[1:]
    assert b"Content-Length: 100" in first and first.endswith(b"\r\n\r\n")
    assert b"Content-Length: 3" in second
    curl_head = curl("-I", relay.url("/bytes/100")).stdout
    assert b"Content-Length: 100" in curl_head


def test_pipelined_requests_are_answered_in_order(relay):
    requests = b"".join(f"GET /bytes/{n} HTTP/1.1\r\nHost: t\r\n\r\n".encode() for n in (5, 7, 9))
    requests += b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n\r\npong"
    with socket.create_connection(("127.0.0.1", relay.port), timeout=5) as s:
        s.sendall(requests)
        data = recv_until(s, lambda d: d.endswith(b"pong"))
    lengths = [int(line.split(b":")[1]) for line in data.split(b"\r\n") if line.startswith(b"Content-Length")]
    assert lengths == [5, 7, 9, 4]
    streams = relay.wait_for(lambda e: e["event"] == "stream_closed" and e["stream"] == 4)
    assert streams[0]["request_bytes"] == 4


def test_200_mb_download_streams_with_bounded_relay_memory(relay):
    size = 200 * 1024 * 1024
    peak = [relay.rss_kib()]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], relay.rss_kib())
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        r = curl("-o", "/dev/null", "-w", "%{size_download} %{http_code}", relay.url(f"/bytes/{size}"))
    finally:
        done.set()
        sampler.join()
    assert r.stdout.decode() == f"{size} 200"
    assert peak[0] < 64 * 1024, f"relay RSS peaked at {peak[0]} KiB"
    closed = relay.wait_for(lambda e: e["event"] == "stream_closed")
    assert closed[0]["response_bytes"] == size


def test_websocket_echo_through_the_relay(tmp_path):
    import websockets  # Debian: python3-websockets
    echo = WebSocketEcho()
    r = PlainRelay(echo.port, tmp_path=tmp_path)
    try:
        async def talk():
            async with websockets.connect(f"ws://127.0.0.1:{r.port}/chat", max_size=None) as ws:
                replies = []
                for message in ("hello", b"\x00\x01" * 50_000, "bye"):
                    await ws.send(message)
                    replies.append(await asyncio.wait_for(ws.recv(), 10))
                return replies

        assert asyncio.run(talk()) == ["hello", b"\x00\x01" * 50_000, "bye"]
        response = r.wait_for(lambda e: e["event"] == "response_headers")[0]
        assert response["headers"][0] == [":status", "101"]
        r.wait_for(lambda e: e["event"] == "connection_closed")
    finally:
        r.close()
        echo.close()


def test_declined_upgrade_keeps_the_connection_serving_http(relay):
    # The upstream ignores the Upgrade and answers 200: the next request on
    # the connection must still be relayed as HTTP.
    with socket.create_connection(("127.0.0.1", relay.port), timeout=5) as s:
        s.sendall(b"GET /bytes/2 HTTP/1.1\r\nHost: t\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n")
        assert recv_until(s, lambda d: d.endswith(b"\r\n\r\n\x00\x00")).startswith(b"HTTP/1.1 200")
        s.sendall(b"GET /bytes/3 HTTP/1.1\r\nHost: t\r\n\r\n")
        assert recv_until(s, lambda d: d.endswith(b"\r\n\r\n\x00\x00\x00")).startswith(b"HTTP/1.1 200")


@pytest.mark.parametrize("request_bytes,reason", [
    (b"GARBAGE\x00\r\n\r\n", b"malformed request line"),
    (b"GET / HTTP/1.1\r\nHost: t\r\nX: " + b"a" * 70_000 + b"\r\n\r\n", b"head larger than 65536 bytes"),
    (b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabc",
     b"conflicting Content-Length values 3 and 4"),
    (b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
     b"both Transfer-Encoding and Content-Length"),
    (b"GET / HTTP/1.1\r\nHost: t\r\nX-Folded: a\r\n b\r\n\r\n", b"obsolete line folding"),
], ids=["garbage", "overlong-head", "conflicting-length", "te-and-cl", "obs-fold"])
def test_bad_request_gets_400_and_the_relay_keeps_serving(relay, request_bytes, reason):
    with socket.create_connection(("127.0.0.1", relay.port), timeout=5) as other:
        answer = raw_exchange(relay.port, request_bytes)
        assert answer.startswith(b"HTTP/1.1 400 Bad Request\r\n")
        assert reason in answer
        # A connection opened before the bad one still works, and so do new ones.
        other.sendall(b"GET /bytes/2 HTTP/1.1\r\nHost: t\r\n\r\n")
        assert recv_until(other, lambda d: d.endswith(b"\r\n\r\n\x00\x00")).startswith(b"HTTP/1.1 200")
    assert curl(relay.url("/bytes/4")).stdout == bytes(4)
    log = relay.stderr()
    assert "bad request from client: " in log and reason.decode() in log


def test_bad_chunk_size_mid_body_closes_without_a_400(relay):
    # The head already went upstream; a 400 now could be mistaken for its answer.
    answer = raw_exchange(relay.port, b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")
    assert b"400" not in answer
    assert "bad request from client: invalid chunk size line 'zz'" in relay.stderr()
    assert curl(relay.url("/bytes/1")).stdout == bytes(1)


def test_bad_upstream_response_gives_502(relay):
    r = curl("-w", "%{http_code}", relay.url("/bad-response"), check=False)
    assert r.stdout.endswith(b"502")
    assert b"malformed status line" in r.stdout
    assert "bad response from upstream: malformed status line 'HTTP/1.1 OK'" in relay.stderr()
    assert curl(relay.url("/bytes/1")).stdout == bytes(1)


def test_idle_connection_is_closed_after_the_timeout(upstream, tmp_path):
    r = PlainRelay(upstream.port, "--idle-timeout", "1", tmp_path=tmp_path)
    try:
        start = time.monotonic()
        with socket.create_connection(("127.0.0.1", r.port), timeout=10) as s:
            assert s.recv(100) == b""
        assert 0.8 < time.monotonic() - start < 5
        assert "idle for 1s, closing" in r.stderr()
    finally:
        r.close()
