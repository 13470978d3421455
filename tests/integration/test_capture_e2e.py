"""End to end: real Connect clients (connect-node, python3-h2) through the
real HTTP/2 relay with the real capture service (tests/tools/capture-h2c),
then `cursor-proxy captures show --json` finds every message decoded, in
order; the bearer token the client sent appears nowhere in the capture."""
import json
import subprocess

import pytest

from capture_support import TOKEN, all_bytes, pb_string, private_dir
from conftest import BUILD
from h2_support import H2Client, NodePeer, Process

CAPTURE_H2C = BUILD / "tests" / "tools" / "capture-h2c"


class CaptureRelay(Process):
    def __init__(self, upstream_port, directory, tmp_path, *extra):
        assert CAPTURE_H2C.exists(), f"{CAPTURE_H2C} missing: run scripts/build first"
        argv = [str(CAPTURE_H2C), str(upstream_port), "--capture-dir", str(directory), *map(str, extra)]
        super().__init__(argv, tmp_path, "capture-h2c", ready=lambda line: '"listening"' in line)
        self.port = json.loads(self.lines[0])["port"]

    def stop(self):
        """SIGTERM: the service flushes its queue, then the process exits 0."""
        self.proc.terminate()
        assert self.proc.wait(20) == 0, self.stderr()
        self.close()


@pytest.fixture
def connect_server(tmp_path):
    peer = NodePeer("connect_peer.js", tmp_path)
    yield peer
    peer.close()


def captures(proxy_binary, directory, *args):
    r = subprocess.run([str(proxy_binary), "captures", *args, "--dir", str(directory), "--json"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def record_connect_client(proxy_binary, connect_server, directory, tmp_path, *capture_options):
    """Runs connect_peer.js's client through capture-h2c; returns the recorded RPCs by path."""
    relay = CaptureRelay(connect_server.port, directory, tmp_path, *capture_options)
    try:
        rc, results = NodePeer.client("connect_peer.js", f"http://127.0.0.1:{relay.port}")
        assert rc == 0, results
    finally:
        relay.stop()
    return {r["path"]: r for r in captures(proxy_binary, directory, "list")["rpcs"]}


def field(decoded, number, key):
    """The value of a field in the schemaless form, or None."""
    for f in decoded:
        if f["field"] == number:
            return f.get(key)
    return None


def test_connect_node_client_every_message_decoded_in_order(proxy_binary, connect_server, tmp_path):
    with private_dir() as d:
        directory = d / "captures"
        rpcs = record_connect_client(proxy_binary, connect_server, directory, tmp_path)
        assert set(rpcs) >= {"/test.EchoService/Unary", "/test.EchoService/Fail",
                             "/test.EchoService/ServerStream", "/test.EchoService/Chat"}

        chat = captures(proxy_binary, directory, "show", rpcs["/test.EchoService/Chat"]["rpc"])
        sent = [m for m in chat["messages"] if m["dir"] == "request"]
        got = [m for m in chat["messages"] if m["dir"] == "response"]
        assert [field(m["decoded"], 1, "string") for m in sent] == ["first", "second"]
        assert [m["index"] for m in sent] == [0, 1]
        assert [field(m["decoded"], 1, "string") for m in got if m["kind"] == "message"] == \
            ["answer:first", "answer:second"]
        end = got[-1]
        assert end["kind"] == "end_of_stream"
        assert "after 2 turns" in json.dumps(end["decoded"]) or "resource_exhausted" in json.dumps(end["decoded"])

        stream = captures(proxy_binary, directory, "show", rpcs["/test.EchoService/ServerStream"]["rpc"])
        counts = [field(m["decoded"], 3, "value") or 0
                  for m in stream["messages"] if m["dir"] == "response" and m["kind"] == "message"]
        assert counts == list(range(50))

        unary = captures(proxy_binary, directory, "show", rpcs["/test.EchoService/Unary"]["rpc"])
        request = [m for m in unary["messages"] if m["dir"] == "request"]
        assert len(request) == 1 and request[0]["compressed"] is True
        assert field(request[0]["decoded"], 1, "string") == "hello"
        assert request[0]["decoded_size"] > 300000
        assert unary["status"] == 200


def test_bearer_token_sent_through_the_relay_is_nowhere_in_the_capture(proxy_binary, connect_server, tmp_path):
    with private_dir() as d:
        directory = d / "captures"
        relay = CaptureRelay(connect_server.port, directory, tmp_path)
        try:
            client = H2Client(relay.port)
            sid = client.request("/test.EchoService/Unary", method="POST", body=pb_string(1, "secret-call"),
                                 headers=[("content-type", "application/proto"),
                                          ("connect-protocol-version", "1"),
                                          ("authorization", f"Bearer {TOKEN}"),
                                          ("x-client-key", "client-key-value-42")])
            headers, body, _, reset = client.finish(sid)
            assert reset is None and dict(headers)[":status"] == "200"
            assert b"echo:secret-call" in body
        finally:
            relay.stop()
        data = all_bytes(directory)
        assert b"secret-call" in data  # the call was recorded...
        assert TOKEN.encode() not in data  # ...without the token
        assert b"client-key-value-42" not in data
        rpc = captures(proxy_binary, directory, "list")["rpcs"][0]
        shown = captures(proxy_binary, directory, "show", rpc["id"])
        assert dict(shown["request_headers"])["authorization"].startswith("[redacted sha256:")
