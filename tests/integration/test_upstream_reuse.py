"""What the proxy keeps from one upstream connection for the next: the TLS
sessions (tickets) the server gave it, resumed only for the same name and
address, and the certificate chains it verified, whose names it still checks on
every connection. Upstream: Python's ssl (OpenSSL) server, which issues TLS 1.3
tickets and says in X-TLS-Resumed whether the connection resumed one."""
import re
import subprocess

from proxy_support import curl


def fetch(proxy, url):
    r = curl(proxy, url, "-D", "-", cacert=proxy.ca_cert)
    assert r.returncode == 0, r.stderr
    resumed = re.search(rb"X-TLS-Resumed: (\w+)", r.stdout)
    assert resumed, r.stdout
    return resumed.group(1).decode()


def s_client(proxy, port, server_name):
    return subprocess.run(
        ["openssl", "s_client", "-proxy", f"127.0.0.1:{proxy.port}", "-connect", f"localhost:{port}",
         "-servername", server_name, "-CAfile", str(proxy.ca_cert), "-verify_return_error", "-showcerts"],
        input=b"", capture_output=True, timeout=20)


def leaf_text(out):
    pem = re.search(rb"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", out, re.S).group(0)
    return subprocess.run(["openssl", "x509", "-noout", "-text"], input=pem, capture_output=True, check=True).stdout


def test_the_next_connection_resumes_the_upstream_session(start_proxy, https_upstream):
    upstream = https_upstream()
    proxy = start_proxy()
    url = f"https://localhost:{upstream.port}/hello"
    assert fetch(proxy, url) == "False"
    assert fetch(proxy, url) == "True"
    assert fetch(proxy, url) == "True"   # each resumption brings a fresh ticket
    assert proxy.counters()["tls.upstream_resumed"] == 2


def test_a_resumed_connection_still_mirrors_the_upstream_certificate_names(start_proxy, https_upstream):
    upstream = https_upstream()
    proxy = start_proxy()
    assert fetch(proxy, f"https://localhost:{upstream.port}/hello") == "False"
    out = s_client(proxy, upstream.port, "localhost")
    assert out.returncode == 0, out.stderr
    assert proxy.counters()["tls.upstream_resumed"] == 1
    text = leaf_text(out.stdout)
    for name in (b"DNS:localhost", b"DNS:api2.cursor.sh", b"DNS:*.api5.cursor.sh", b"IP Address:127.0.0.1"):
        assert name in text


def test_a_session_is_offered_only_to_the_name_it_was_verified_for(start_proxy, https_upstream):
    upstream = https_upstream()
    proxy = start_proxy()
    assert fetch(proxy, f"https://localhost:{upstream.port}/hello") == "False"
    # Same server and address, but no SNI and the IP as the verified name: a new session.
    assert fetch(proxy, f"https://127.0.0.1:{upstream.port}/hello") == "False"
    assert fetch(proxy, f"https://localhost:{upstream.port}/hello") == "True"
    assert fetch(proxy, f"https://127.0.0.1:{upstream.port}/hello") == "True"


def test_a_chain_verified_before_is_reused_but_its_name_is_checked_each_time(start_proxy, https_upstream):
    upstream = https_upstream()   # certificate for localhost, api2.cursor.sh, *.api5.cursor.sh, 127.0.0.1, ::1
    proxy = start_proxy()
    assert fetch(proxy, f"https://localhost:{upstream.port}/hello") == "False"
    # A new name (no session to resume): the cached chain is trusted, the IP name checked.
    assert fetch(proxy, f"https://127.0.0.1:{upstream.port}/hello") == "False"
    assert proxy.counters()["tls.upstream_chain_cache_hits"] == 1
    # Same chain, a name it does not cover: refused, as without the cache.
    out = s_client(proxy, upstream.port, "wrong.example")
    assert out.returncode != 0
    proxy.wait_log(r"upstream certificate rejected.*host=wrong\.example.*certificate verification failed: "
                   r"(Hostname mismatch|hostname mismatch)")
    counters = proxy.counters()
    assert counters["tls.upstream_certificate_rejected"] == 1
    assert counters["tls.upstream_chain_cache_hits"] == 1
    assert "tls.upstream_resumed" not in counters or counters["tls.upstream_resumed"] == 0
