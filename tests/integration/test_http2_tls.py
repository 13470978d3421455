"""The HTTP/2 relay inside the real proxy: `cursor-proxy run --listen-connect`
with TLS on both legs (our minted certificate to the client, the test PKI's
upstream certificate verified), ALPN h2 mirrored. The key relay tests again,
with real peers reaching the upstream through the CONNECT port."""
import ssl

import pytest

from h2_support import CANCEL, ENHANCE_YOUR_CALM, END_HEADERS, END_STREAM, HEADERS, DATA, H2Client, NodePeer, \
    ScriptedUpstream
from proxy_support import open_tunnel


def tls_client(proxy, upstream_port, host="localhost"):
    """python3-h2 over TLS through the proxy's CONNECT port, trusting the proxy's CA."""
    context = ssl.create_default_context(cafile=str(proxy.ca_cert))
    context.set_alpn_protocols(["h2"])
    sock = context.wrap_socket(open_tunnel(proxy.port, f"{host}:{upstream_port}"), server_hostname=host)
    assert sock.selected_alpn_protocol() == "h2"
    return H2Client(sock=sock)


@pytest.fixture
def scripted(pki):
    server = ScriptedUpstream(tls=(pki.server_cert, pki.server_key))
    yield server
    server.close()


def test_connect_peers_through_the_proxy_unary_stream_chat_and_tiny_calls(start_proxy, pki, tmp_path):
    upstream = NodePeer("connect_peer.js", tmp_path, tls=(pki.server_cert, pki.server_key))
    try:
        proxy = start_proxy("-v")
        env = {"PEER_PROXY": f"127.0.0.1:{proxy.port}", "PEER_CA": str(proxy.ca_cert)}
        url = f"https://localhost:{upstream.port}"
        rc, results = NodePeer.client("connect_peer.js", url, env=env)
        assert results == {"unary_gzip": "ok", "unary_error": "ok", "server_stream": "ok", "bidi_chat": "ok"}
        assert rc == 0
        rc, tiny = NodePeer.client("connect_peer.js", url, mode="tiny", env=env, timeout=90)
        assert tiny == {"ok": 1000, "failed": 0} and rc == 0
        proxy.wait_log(r"intercepting .* alpn=h2")
        assert "invalid frame" not in proxy.log() and "session error" not in proxy.log()
    finally:
        upstream.close()


def test_grpc_peers_through_the_proxy_with_trailers_and_trailers_only(start_proxy, pki, tmp_path):
    upstream = NodePeer("grpc_peer.js", tmp_path, tls=(pki.server_cert, pki.server_key))
    try:
        proxy = start_proxy("-v")
        env = {"grpc_proxy": f"http://127.0.0.1:{proxy.port}", "PEER_CA": str(proxy.ca_cert)}
        rc, results = NodePeer.client("grpc_peer.js", f"localhost:{upstream.port}", env=env)
        assert results == {"unary": "ok", "server_stream": "ok", "non_ok_status_with_trailers": "ok",
                           "trailers_only": "ok"}
        assert rc == 0
        proxy.wait_log(r"intercepting .* alpn=h2")
    finally:
        upstream.close()


def test_frame_shapes_and_resets_through_the_proxy(start_proxy, scripted):
    proxy = start_proxy("-v")
    client = tls_client(proxy, scripted.port)
    try:
        sid = client.request("/trailers-only")
        client.finish(sid)
        assert [(t, f) for t, f, _ in client.frames_on(sid)] == [(HEADERS, END_STREAM | END_HEADERS)]
        sid = client.request("/trailers")
        _, body, trailers, _ = client.finish(sid)
        assert body == b"abc" and trailers == {"x-end": "yes"}
        assert [(t, f) for t, f, _ in client.frames_on(sid)] == [(HEADERS, END_HEADERS), (DATA, 0),
                                                                 (HEADERS, END_STREAM | END_HEADERS)]
        sid = client.request("/reset")
        assert client.finish(sid)[3] == ENHANCE_YOUR_CALM
        sid = client.request("/hang")
        client.wait(lambda e: getattr(e, "stream_id", None) == sid and type(e).__name__ == "ResponseReceived")
        client.conn.reset_stream(sid, CANCEL)
        client.flush()
        sid = client.request("/echo", method="POST", body=bytes(300000))
        try:
            _, body, trailers, reset = client.finish(sid, timeout=20)
        except AssertionError as e:
            raise AssertionError(f"upstream side: {scripted.errors}") from e
        assert body == bytes(300000) and trailers == {"x-echoed": "300000"} and reset is None
        assert ("/hang", CANCEL) in scripted.resets
    finally:
        client.close()


def test_a_stream_still_open_at_shutdown_is_recorded_as_cancelled(start_proxy, scripted):
    from capture_support import capture_lines
    proxy = start_proxy("--shutdown-grace", "1")
    client = tls_client(proxy, scripted.port)
    sid = client.request("/hang")
    client.wait(lambda e: getattr(e, "stream_id", None) == sid and type(e).__name__ == "ResponseReceived")
    assert proxy.stop() == 0   # SIGTERM; the grace period runs out with the stream open
    assert "grace period over; closing open connections" in proxy.log()
    lines = [line for line in capture_lines(proxy.data_dir / "captures") if line.get("path") == "/hang"
             or line.get("url_path") == "/hang"]
    kinds = [line["type"] for line in lines]
    assert kinds[0] == "request" and kinds[-1] == "end", kinds
    [reset] = [line for line in lines if line["type"] == "reset"]
    assert (reset["error"], reset["by"]) == ("CANCEL", "proxy")
    assert lines[-1]["error_code"] == CANCEL and lines[-1]["status"] == 200
