"""The whole proxy on loopback, through its explicit CONNECT listener: curl and
openssl s_client as clients, Python HTTPS servers with a test CA as upstreams."""
import json
import re
import socket
import subprocess
import time

import proxy_support
from proxy_support import curl


def test_response_arrives_intact_through_the_proxy(start_proxy, https_upstream, pki):
    upstream = https_upstream()
    proxy = start_proxy("-v")
    assert "created a new certificate authority" in proxy.log()
    r = curl(proxy, f"https://localhost:{upstream.port}/hello?x=1", "-D", "-", cacert=proxy.ca_cert)
    assert r.returncode == 0, r.stderr
    assert r.stdout.endswith(b"hello from upstream path=/hello?x=1\n")
    assert b"X-Upstream: upstream" in r.stdout
    proxy.wait_log(rf"intercepting .*destination=127\.0\.0\.1:{upstream.port} host=localhost sni=localhost "
                   r"alpn=http/1\.1")
    body = bytes(range(256)) * 400
    r = subprocess.run(["curl", "-sS", "--proxy", f"http://127.0.0.1:{proxy.port}", "--cacert", str(proxy.ca_cert),
                        "--data-binary", "@-", f"https://localhost:{upstream.port}/echo"],
                       input=body, capture_output=True, timeout=20)
    assert r.returncode == 0, r.stderr
    assert r.stdout == body


def test_minted_certificate_mirrors_the_upstream_names(start_proxy, https_upstream):
    upstream = https_upstream()
    proxy = start_proxy()
    out = subprocess.run(
        ["openssl", "s_client", "-proxy", f"127.0.0.1:{proxy.port}", "-connect", f"localhost:{upstream.port}",
         "-servername", "localhost", "-CAfile", str(proxy.ca_cert), "-verify_return_error", "-showcerts"],
        input=b"", capture_output=True, timeout=20)
    assert out.returncode == 0, out.stderr
    pem = re.search(rb"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", out.stdout, re.S).group(0)
    text = subprocess.run(["openssl", "x509", "-noout", "-text"], input=pem, capture_output=True, check=True).stdout
    assert b"Issuer: CN = cursor-proxy local CA" in text
    for name in (b"DNS:localhost", b"DNS:api2.cursor.sh", b"DNS:*.api5.cursor.sh", b"IP Address:127.0.0.1"):
        assert name in text


def test_curl_without_our_ca_fails_and_the_proxy_says_why(start_proxy, https_upstream):
    upstream = https_upstream()
    proxy = start_proxy("--auto-passthrough-after", "0")
    r = curl(proxy, f"https://localhost:{upstream.port}/hello")
    assert r.returncode == 60, (r.returncode, r.stderr)   # CURLE_PEER_FAILED_VERIFICATION
    assert b"hello from" not in r.stdout
    proxy.wait_log(r"the client refused our certificate.*host=localhost")


def test_upstream_certificate_for_the_wrong_name_is_refused(start_proxy, https_upstream, pki):
    cert, key = pki.issue("wrong-name", ["wrong.example"])
    upstream = https_upstream(cert, key)
    proxy = start_proxy()
    r = curl(proxy, f"https://localhost:{upstream.port}/hello", cacert=proxy.ca_cert)
    assert r.returncode != 0
    assert b"hello from" not in r.stdout
    proxy.wait_log(r"upstream certificate rejected.*host=localhost .*reason=\"certificate verification failed: "
                   r"Hostname mismatch")


def test_upstream_certificate_from_an_unknown_ca_is_refused(start_proxy, https_upstream, tmp_path):
    other = proxy_support.Pki(tmp_path)
    upstream = https_upstream(other.server_cert, other.server_key)
    proxy = start_proxy()
    r = curl(proxy, f"https://localhost:{upstream.port}/hello", cacert=proxy.ca_cert)
    assert r.returncode != 0
    proxy.wait_log(r"upstream certificate rejected.*host=localhost .*unable to get local issuer certificate")


def test_insecure_upstream_host_is_relayed_and_logged_loudly(start_proxy, https_upstream, tmp_path):
    other = proxy_support.Pki(tmp_path)
    upstream = https_upstream(other.server_cert, other.server_key)
    proxy = start_proxy("--insecure-upstream", "localhost")
    assert re.search(r"warning tls: UPSTREAM CERTIFICATE VERIFICATION IS OFF.*host=localhost", proxy.log())
    r = curl(proxy, f"https://localhost:{upstream.port}/hello", cacert=proxy.ca_cert)
    assert r.returncode == 0, r.stderr
    assert b"hello from upstream" in r.stdout


def test_passthrough_host_shows_the_upstreams_own_certificate(start_proxy, https_upstream, pki):
    upstream = https_upstream()
    proxy = start_proxy("--passthrough", "local*")
    out = subprocess.run(
        ["openssl", "s_client", "-proxy", f"127.0.0.1:{proxy.port}", "-connect", f"localhost:{upstream.port}",
         "-servername", "localhost", "-CAfile", str(pki.ca_cert), "-verify_return_error"],
        input=b"", capture_output=True, timeout=20)
    assert out.returncode == 0, out.stderr
    assert b"issuer=CN = cursor-proxy test upstream CA" in out.stdout
    assert b"cursor-proxy local CA" not in out.stdout


def test_client_refusing_our_certificate_turns_the_host_into_passthrough(start_proxy, https_upstream, pki):
    upstream = https_upstream()
    proxy = start_proxy("--auto-passthrough-after", "2", "-v")
    url = f"https://localhost:{upstream.port}/hello"
    for _ in range(2):
        assert curl(proxy, url, cacert=pki.ca_cert).returncode == 60
    proxy.wait_log(r"passing this host through untouched from now on.*host=localhost")
    # Now the client sees the real upstream certificate, which it trusts.
    r = curl(proxy, url, cacert=pki.ca_cert)
    assert r.returncode == 0, r.stderr
    assert b"hello from upstream" in r.stdout


def test_plain_http_inside_connect_is_spliced_untouched(start_proxy):
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    proxy = start_proxy("-v")
    client = proxy_support.open_tunnel(proxy.port, f"127.0.0.1:{port}")
    upstream, _ = server.accept()
    client.sendall(b"PING not tls\r\n")
    assert upstream.recv(100) == b"PING not tls\r\n"
    upstream.sendall(b"PONG\r\n")
    assert client.recv(100) == b"PONG\r\n"
    for s in (client, upstream, server):
        s.close()
    proxy.wait_log(r"not TLS; splicing the bytes through untouched")


def test_key_log_has_secrets_for_both_legs(start_proxy, https_upstream, tmp_path):
    upstream = https_upstream()
    keylog = tmp_path / "keys.txt"
    proxy = start_proxy("--keylog", keylog)
    assert curl(proxy, f"https://localhost:{upstream.port}/hello", cacert=proxy.ca_cert).returncode == 0
    lines = keylog.read_text().splitlines()
    randoms = {line.split()[1] for line in lines if line.startswith("CLIENT_TRAFFIC_SECRET_0 ")}
    assert len(randoms) == 2, lines   # the client's leg and ours to the upstream
    assert all(re.fullmatch(r"[A-Z_0-9]+ [0-9a-f]{64} [0-9a-f]+", line) for line in lines)
    assert keylog.stat().st_mode & 0o777 == 0o600


def test_connect_to_the_proxy_itself_is_refused(start_proxy):
    proxy = start_proxy()
    r = curl(proxy, f"https://127.0.0.1:{proxy.port}/", "-v")
    assert r.returncode != 0
    assert b"< HTTP/1.1 403" in r.stderr
    proxy.wait_log(r"refusing a connection to the proxy's own listener .*destination=127\.0\.0\.1:" + str(proxy.port))


def test_unreachable_destination_gets_502(start_proxy):
    closed = socket.create_server(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    proxy = start_proxy()
    r = curl(proxy, f"https://localhost:{port}/", "-v")
    assert r.returncode != 0
    assert b"< HTTP/1.1 502" in r.stderr
    proxy.wait_log(rf"cannot connect to the destination .*host=localhost")


def test_h2_is_mirrored_to_the_http2_relay(start_proxy, pki, tmp_path):
    docroot = tmp_path / "www"
    docroot.mkdir()
    (docroot / "hi.txt").write_text("hello over h2\n")
    port = proxy_support.free_port()
    server = subprocess.Popen(["nghttpd", "-d", str(docroot), str(port), str(pki.server_key), str(pki.server_cert)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        proxy_support.wait_for_port(port)
        proxy = start_proxy("-v")
        r = curl(proxy, f"https://localhost:{port}/hi.txt", "--http2", "-w", "%{http_version}",
                 cacert=proxy.ca_cert)
        assert r.returncode == 0, r.stderr
        assert r.stdout == b"hello over h2\n2"
        proxy.wait_log(r"intercepting .* sni=localhost alpn=h2")
    finally:
        server.kill()
        server.wait()


def test_sd_notify_ready_and_sigterm_drain(start_proxy, tmp_path):
    notify_path = tmp_path / "notify.sock"
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(notify_path))
    notify.settimeout(10)
    proxy = start_proxy(env={"NOTIFY_SOCKET": str(notify_path)})
    ready = notify.recv(4096).decode()
    assert "READY=1" in ready and f"STATUS=listening on 127.0.0.1:{proxy.port}" in ready
    started = time.monotonic()
    assert proxy.stop() == 0
    assert time.monotonic() - started < 5
    assert "STOPPING=1" in notify.recv(4096).decode()
    notify.close()


def test_large_download_streams_with_bounded_memory(start_proxy, https_upstream):
    upstream = https_upstream()
    proxy = start_proxy()
    size = 200 * 1000 * 1000
    curl_proc = subprocess.Popen(["curl", "-sS", "--proxy", f"http://127.0.0.1:{proxy.port}", "--cacert",
                                  str(proxy.ca_cert), "--limit-rate", "100M", "-o", "/dev/null", "-w", "%{size_download}",
                                  f"https://localhost:{upstream.port}/bytes/{size}"], stdout=subprocess.PIPE)
    peak = 0
    while curl_proc.poll() is None:
        peak = max(peak, proxy.rss_kib())
        time.sleep(0.05)
    assert curl_proc.returncode == 0
    assert int(curl_proc.stdout.read()) == size
    assert peak < 64 * 1024, f"proxy RSS peaked at {peak} KiB"


def test_sigterm_lets_an_open_download_finish(start_proxy, https_upstream):
    upstream = https_upstream()
    proxy = start_proxy("-v", "--shutdown-grace", "20")
    size = 3 * 1000 * 1000
    download = subprocess.Popen(["curl", "-sS", "--proxy", f"http://127.0.0.1:{proxy.port}", "--cacert",
                                 str(proxy.ca_cert), "--limit-rate", "1M", "-o", "/dev/null", "-w", "%{size_download}",
                                 f"https://localhost:{upstream.port}/bytes/{size}"], stdout=subprocess.PIPE)
    proxy.wait_log(r"intercepting")
    proxy.proc.send_signal(subprocess.signal.SIGTERM)
    proxy.wait_log(r"stopping: no new connections.*open=1")
    # No new connections once draining.
    assert curl(proxy, f"https://localhost:{upstream.port}/hello", cacert=proxy.ca_cert, timeout=3).returncode != 0
    assert download.wait(20) == 0
    assert int(download.stdout.read()) == size
    assert proxy.proc.wait(10) == 0


def test_idle_passthrough_connection_is_closed(start_proxy):
    server = socket.create_server(("127.0.0.1", 0))
    proxy = start_proxy("-v", "--idle-timeout", "1")
    client = proxy_support.open_tunnel(proxy.port, f"127.0.0.1:{server.getsockname()[1]}")
    upstream, _ = server.accept()
    client.sendall(b"not tls, then silence\n")
    assert upstream.recv(100) == b"not tls, then silence\n"
    started = time.monotonic()
    client.settimeout(5)
    assert client.recv(100) == b""
    assert 0.9 < time.monotonic() - started < 3
    proxy.wait_log(r"passthrough connection ended .*reason=\"idle timeout\"")
    for s in (client, upstream, server):
        s.close()


def test_ipv6_connect_listener_and_sslkeylogfile(start_proxy, https_upstream, tmp_path):
    upstream = https_upstream(host="::1")
    keylog = tmp_path / "env-keys.txt"
    proxy = start_proxy("--listen-connect", "[::1]:0", env={"SSLKEYLOGFILE": str(keylog)})
    r = subprocess.run(["curl", "-sS", "--max-time", "20", "--proxy", f"http://[::1]:{proxy.port}", "--cacert",
                        str(proxy.ca_cert), f"https://[::1]:{upstream.port}/hello"], capture_output=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert b"hello from upstream" in r.stdout
    assert "CLIENT_TRAFFIC_SECRET_0 " in keylog.read_text()


def test_status_shows_counters_and_learned_passthrough_hosts(start_proxy, https_upstream, pki, proxy_binary):
    upstream = https_upstream()
    proxy = start_proxy("--auto-passthrough-after", "1")
    assert curl(proxy, f"https://localhost:{upstream.port}/hello", cacert=proxy.ca_cert).returncode == 0
    assert curl(proxy, f"https://localhost:{upstream.port}/hello", cacert=pki.ca_cert).returncode == 60
    r = subprocess.run([proxy_binary, "status", "--json", "--socket", proxy.data_dir / "status.sock"],
                       capture_output=True, text=True, timeout=10)
    assert r.returncode == 0, r.stderr
    status = json.loads(r.stdout)
    assert '"connections.intercepted": 1' in json.dumps(status), status
    assert '"learned_passthrough_hosts": ["localhost"]' in json.dumps(status), status
