"""The HTTP/2 relay (src/http2) between real Connect and gRPC peers (Node's
@connectrpc/connect-node and @grpc/grpc-js, pinned in tests/npm), through
tests/tools/h2c-relay on loopback: contents, errors, trailers and the
observer's view must all come through intact."""
import subprocess

import pytest

from h2_support import NPM, NODE, H2cRelay, NodePeer


@pytest.fixture
def connect_upstream(tmp_path):
    peer = NodePeer("connect_peer.js", tmp_path)
    yield peer
    peer.close()


@pytest.fixture
def grpc_upstream(tmp_path):
    peer = NodePeer("grpc_peer.js", tmp_path)
    yield peer
    peer.close()


@pytest.fixture
def connect_relay(connect_upstream, tmp_path):
    relay = H2cRelay(connect_upstream.port, tmp_path=tmp_path)
    yield relay
    relay.close()


def headers_of(relay, event, path):
    found = [e for e in relay.events(lambda e: e["event"] == "request_headers") if [":path", path] in e["headers"]]
    assert found, f"no request for {path}"
    stream = found[0]["stream"]
    return [e for e in relay.events(lambda e: e["event"] == event and e["stream"] == stream)]


def test_connect_unary_gzip_server_stream_and_chat_shape_pass_intact(connect_relay):
    rc, results = NodePeer.client("connect_peer.js", f"http://127.0.0.1:{connect_relay.port}")
    assert results == {"unary_gzip": "ok", "unary_error": "ok", "server_stream": "ok", "bidi_chat": "ok"}
    assert rc == 0
    connect_relay.wait_event(lambda e: e["event"] == "stream_closed" and e["stream"] == 7)
    unary = headers_of(connect_relay, "request_headers", "/test.EchoService/Unary")[0]["headers"]
    assert ["content-type", "application/proto"] in unary and ["content-encoding", "gzip"] in unary
    assert [h[0] for h in unary[:4]] == [":method", ":path", ":authority", ":scheme"]
    chat = headers_of(connect_relay, "request_headers", "/test.EchoService/Chat")[0]["headers"]
    assert ["content-type", "application/connect+proto"] in chat
    closed = connect_relay.events(lambda e: e["event"] == "stream_closed")
    assert len(closed) == 4 and all(e["error_code"] == 0 for e in closed), closed
    assert "invalid frame" not in connect_relay.stderr()


def test_a_thousand_tiny_and_empty_unary_calls_without_protocol_errors(connect_relay):
    r = subprocess.run([NODE, "peers/connect_peer.js", "tiny", f"http://127.0.0.1:{connect_relay.port}"],
                       cwd=NPM, capture_output=True, timeout=90)
    assert r.stdout.decode().strip().endswith('{"ok":1000,"failed":0}'), (r.stdout, r.stderr[-2000:])
    connect_relay.wait_event(lambda e: e["event"] == "stream_closed" and e["stream"] == 1999)
    closed = connect_relay.events(lambda e: e["event"] == "stream_closed")
    assert len(closed) == 1000 and {e["error_code"] for e in closed} == {0}
    log = connect_relay.stderr()
    assert "invalid frame" not in log and "session error" not in log and "GOAWAY received" not in log, log[-2000:]


def test_grpc_unary_streaming_error_trailers_and_trailers_only(grpc_upstream, tmp_path):
    relay = H2cRelay(grpc_upstream.port, tmp_path=tmp_path)
    try:
        rc, results = NodePeer.client("grpc_peer.js", f"127.0.0.1:{relay.port}")
        assert results == {"unary": "ok", "server_stream": "ok", "non_ok_status_with_trailers": "ok",
                           "trailers_only": "ok"}
        assert rc == 0
        relay.wait_event(lambda e: e["event"] == "stream_closed" and e["stream"] == 7)
        trailers = headers_of(relay, "trailers", "/test.Raw/StreamThenFail")[0]["headers"]
        assert ["grpc-status", "8"] in trailers and ["x-reason", "quota"] in trailers
        # Trailers-only stays one HEADERS block: status in the response headers, no trailers, no body.
        only = headers_of(relay, "response_headers", "/test.Raw/FailNow")[0]["headers"]
        assert ["grpc-status", "5"] in only
        assert headers_of(relay, "trailers", "/test.Raw/FailNow") == []
        assert headers_of(relay, "stream_closed", "/test.Raw/FailNow")[0]["response_bytes"] == 0
    finally:
        relay.close()
