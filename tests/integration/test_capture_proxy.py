"""Capture through the whole proxy: curl → `cursor-proxy run` (explicit
CONNECT listener, TLS interception) → HTTPS upstream on loopback. The
recording is read back with `captures show --json`; the bearer token is
nowhere in the capture directory; `status` reads the running daemon."""
import base64
import json
import subprocess

from capture_support import TOKEN, all_bytes, pb_string


def cli(proxy_binary, *args):
    r = subprocess.run([str(proxy_binary), *map(str, args)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_rpc_through_the_proxy_is_recorded_decoded_and_redacted(proxy_binary, start_proxy, https_upstream, tmp_path):
    upstream = https_upstream()
    proxy = start_proxy()
    body = tmp_path / "body.bin"
    body.write_bytes(pb_string(1, "through-the-proxy"))
    r = subprocess.run(["curl", "-sS", "--fail", "--proxy", f"http://127.0.0.1:{proxy.port}",
                        "--cacert", str(proxy.ca_cert), "-H", f"authorization: Bearer {TOKEN}",
                        "-H", "content-type: application/proto", "-H", "connect-protocol-version: 1",
                        "--data-binary", f"@{body}", f"https://localhost:{upstream.port}/test.EchoService/Unary"],
                       capture_output=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert r.stdout == body.read_bytes()  # the upstream echoed it, unchanged by the proxy

    status = json.loads(cli(proxy_binary, "status", "--socket", proxy.data_dir / "status.sock", "--json"))
    assert status["counters"].get("rpcs.host.localhost", 0) >= 1

    proxy.stop()  # flushes the capture queue
    directory = proxy.data_dir / "captures"
    rpcs = json.loads(cli(proxy_binary, "captures", "list", "--dir", directory, "--json"))["rpcs"]
    assert [r["path"] for r in rpcs] == ["/test.EchoService/Unary"]
    shown = json.loads(cli(proxy_binary, "captures", "show", rpcs[0]["id"], "--dir", directory, "--json"))
    assert shown["host"] == "localhost" and shown["status"] == 200
    request = [m for m in shown["messages"] if m["dir"] == "request"]
    assert len(request) == 1
    assert request[0]["decoded"][0]["string"] == "through-the-proxy"
    response = [m for m in shown["messages"] if m["dir"] == "response"]
    assert response and response[0]["wire_size"] == len(body.read_bytes())
    assert dict(shown["request_headers"])["authorization"].startswith("[redacted sha256:")
    assert TOKEN.encode() not in all_bytes(directory)


def test_credentials_in_the_query_string_are_not_recorded(proxy_binary, start_proxy, https_upstream, tmp_path):
    upstream = https_upstream()
    proxy = start_proxy()
    secret = "opaque-query-secret-5f2c91d7"
    body = tmp_path / "body.bin"
    body.write_bytes(pb_string(1, "query"))
    r = subprocess.run(["curl", "-sS", "--fail", "--proxy", f"http://127.0.0.1:{proxy.port}",
                        "--cacert", str(proxy.ca_cert), "-H", "content-type: application/proto",
                        "--data-binary", f"@{body}",
                        f"https://localhost:{upstream.port}/test.EchoService/Unary?uuid=7&access_token={secret}"],
                       capture_output=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert r.stdout == body.read_bytes()
    proxy.stop()
    directory = proxy.data_dir / "captures"
    recorded = all_bytes(directory)
    assert b"uuid=7&access_token=[redacted sha256:" in recorded   # in url_path and in the :path header
    assert recorded.count(b"access_token=[redacted sha256:") == 2
    assert secret.encode() not in recorded
    rpcs = json.loads(cli(proxy_binary, "captures", "list", "--dir", directory, "--json"))["rpcs"]
    assert [r["path"] for r in rpcs] == ["/test.EchoService/Unary"]


def test_a_connect_get_request_is_recorded_with_its_message_decoded(proxy_binary, start_proxy, https_upstream):
    upstream = https_upstream()
    proxy = start_proxy()
    message = base64.urlsafe_b64encode(pb_string(1, "looked-up")).decode().rstrip("=")
    url = (f"https://localhost:{upstream.port}/test.EchoService/Unary"
           f"?connect=v1&encoding=proto&base64=1&message={message}")
    r = subprocess.run(["curl", "-sS", "--fail", "--proxy", f"http://127.0.0.1:{proxy.port}",
                        "--cacert", str(proxy.ca_cert), url], capture_output=True, timeout=30)
    assert r.returncode == 0, r.stderr
    proxy.stop()
    directory = proxy.data_dir / "captures"
    [rpc] = json.loads(cli(proxy_binary, "captures", "list", "--dir", directory, "--json"))["rpcs"]
    shown = json.loads(cli(proxy_binary, "captures", "show", rpc["id"], "--dir", directory, "--json"))
    [sent] = [m for m in shown["messages"] if m["dir"] == "request"]
    assert (sent["format"], sent["form"], sent["kind"]) == ("connect-get+proto", "protobuf-raw", "message")
    assert sent["decoded"][0]["string"] == "looked-up"
    assert shown["method"] == "GET" and rpc["request_messages"] == 1
