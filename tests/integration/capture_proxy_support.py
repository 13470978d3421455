"""Helpers for recording the Node peers (tests/npm/peers: connect-node and
grpc-js clients, unchanged) through `cursor-proxy run --listen-connect` with
TLS and HTTP/2 on both legs, a bearer token on every request, and reading the
recording back with `cursor-proxy captures list/show --json`."""
import base64

from capture_support import TOKEN, all_bytes
from h2_support import NPM, NodePeer
from test_capture_e2e import captures

# Preloaded into the peer clients: adds `authorization: Bearer TOKEN` to every request.
BEARER_PRELOAD = NPM / "peers" / "bearer_token.js"


def _client_env_and_target(script, proxy, upstream_port):
    """How each peer client reaches https://localhost:PORT through the CONNECT port."""
    env = {"PEER_CA": str(proxy.ca_cert), "PEER_BEARER_TOKEN": TOKEN,
           "NODE_OPTIONS": f"--require {BEARER_PRELOAD}"}
    if script.startswith("connect"):
        return {**env, "PEER_PROXY": f"127.0.0.1:{proxy.port}"}, f"https://localhost:{upstream_port}"
    return {**env, "grpc_proxy": f"http://127.0.0.1:{proxy.port}"}, f"localhost:{upstream_port}"


def record_peer(script, start_proxy, pki, tmp_path, *proxy_args):
    """Runs the peer's client against its TLS server through a fresh proxy,
    checks every scenario passed, stops the proxy (which flushes the capture)
    and returns the capture directory."""
    upstream = NodePeer(script, tmp_path, tls=(pki.server_cert, pki.server_key))
    try:
        proxy = start_proxy(*proxy_args)
        env, target = _client_env_and_target(script, proxy, upstream.port)
        rc, results = NodePeer.client(script, target, env=env)
        assert rc == 0 and all(v == "ok" for v in results.values()), results
        assert proxy.stop() == 0, proxy.log()
        assert TOKEN not in proxy.log()
    finally:
        upstream.close()
    return proxy.data_dir / "captures"


def shown_rpcs(proxy_binary, directory):
    """Every recorded RPC as `captures show --json` prints it, by path."""
    listed = captures(proxy_binary, directory, "list")["rpcs"]
    assert len({r["path"] for r in listed}) == len(listed), f"an RPC was recorded twice: {listed}"
    return {r["path"]: captures(proxy_binary, directory, "show", r["id"]) for r in listed}


def messages(rpc, direction, kind="message"):
    """The RPC's messages in one direction, after checking they are numbered 0, 1, 2… in order."""
    mine = [m for m in rpc["messages"] if m["dir"] == direction]
    assert [m["index"] for m in mine] == list(range(len(mine))), mine
    return [m for m in mine if m["kind"] == kind]


def header(pairs, name):
    values = [v for n, v in pairs if n == name]
    assert len(values) == 1, f"{name}: {values} in {pairs}"
    return values[0]


def assert_token_redacted_everywhere(rpcs, directory):
    """Every RPC carried the token, shown as one and the same redaction marker;
    the token's bytes are in no file of the capture directory."""
    markers = {header(rpc["request_headers"], "authorization") for rpc in rpcs.values()}
    assert len(markers) == 1 and next(iter(markers)).startswith("[redacted sha256:"), markers
    data = all_bytes(directory)
    assert data, f"nothing recorded in {directory}"
    assert TOKEN.encode() not in data
    assert TOKEN.split(".")[2].encode() not in data  # not even the signature part


def b64(data):
    return base64.b64encode(data).decode()


def peer_pattern(n, seed):
    """echo_service.js's pattern(): the bytes the peers send and check."""
    return bytes((i * 31 + seed) & 0xFF for i in range(n))
