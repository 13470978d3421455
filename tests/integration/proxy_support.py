"""Helpers for tests that run the whole proxy: a test PKI made with the openssl
CLI, small HTTPS upstream servers (Python's ssl + http.server), and the
`cursor-proxy run` process. Everything listens on loopback (or inside network
namespaces the test made)."""
import http.server
import json
import os
import pathlib
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time

from process_support import ServedInThread, free_port, status_kib, stop, wait_for_port  # noqa: F401 (tests use free_port, wait_for_port from here)

# Captures refuse /tmp (they hold secrets), so data directories live here.
DATA_ROOT = pathlib.Path("/var/lib/cursor-proxy-tests")


def run(*argv, **kw):
    return subprocess.run([str(a) for a in argv], check=True, capture_output=True, text=True, **kw)


class Pki:
    """A throwaway test CA and certificates issued by it (openssl CLI)."""

    def __init__(self, directory):
        self.dir = pathlib.Path(directory)
        self.ca_key = self.dir / "test-ca.key"
        self.ca_cert = self.dir / "test-ca.crt"
        run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", self.ca_key, "-out", self.ca_cert, "-days", "2", "-subj", "/CN=cursor-proxy test upstream CA",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        # The usual upstream: the real host names plus localhost and loopback IPs.
        self.server_cert, self.server_key = self.issue(
            "upstream", ["api2.cursor.sh", "*.api5.cursor.sh", "localhost"], ["127.0.0.1", "::1"])

    def issue(self, name, dns, ips=()):
        key = self.dir / f"{name}.key"
        csr = self.dir / f"{name}.csr"
        cert = self.dir / f"{name}.crt"
        ext = self.dir / f"{name}.ext"
        sans = [f"DNS:{d}" for d in dns] + [f"IP:{i}" for i in ips]
        ext.write_text(f"subjectAltName={','.join(sans)}\nextendedKeyUsage=serverAuth\n"
                       "basicConstraints=CA:FALSE\n")
        run("openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key,
            "-out", csr, "-subj", f"/CN={dns[0] if dns else name}")
        run("openssl", "x509", "-req", "-in", csr, "-CA", self.ca_cert, "-CAkey", self.ca_key, "-CAcreateserial",
            "-out", cert, "-days", "2", "-extfile", ext)
        return cert, key


class _Handler(http.server.BaseHTTPRequestHandler):
    """GET /hello → "hello from <name>"; GET /bytes/N → N bytes; POST /echo → the body."""
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _reply(self, body, content_type="text/plain"):
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Upstream", self.server.name)
        # Whether this TLS connection resumed an earlier session (a ticket).
        self.send_header("X-TLS-Resumed", str(self.request.session_reused))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path.startswith("/bytes/"):
            n = int(self.path.split("/")[2])
            self.send_response(200)
            self.send_header("Content-Length", str(n))
            self.end_headers()
            block = b"x" * 65536
            while n > 0:
                self.wfile.write(block[:min(n, len(block))])
                n -= min(n, len(block))
            return
        self._reply(f"hello from {self.server.name} path={self.path}\n".encode())

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self._reply(body, "application/octet-stream")


class HttpsUpstream(ServedInThread):
    """A threaded HTTPS/1.1 server (ALPN http/1.1) on host:0 with the given cert."""

    def __init__(self, cert, key, host="127.0.0.1", name="upstream", port=0):
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        server_class = type("Server", (http.server.ThreadingHTTPServer,), {"address_family": family})
        server = server_class((host, port), _Handler)
        server.name = name
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        context.set_alpn_protocols(["http/1.1"])
        server.socket = context.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
        self.serve(server)


class Proxy:
    """`cursor-proxy run` as a child process; stderr goes to a file the tests read."""

    def __init__(self, binary, args, data_dir, log_path, env=None, netns=None):
        self.data_dir = pathlib.Path(data_dir)
        self.log_path = pathlib.Path(log_path)
        self.ca_cert = self.data_dir / "ca.crt"
        self.binary = binary
        argv = [str(binary), "run", "--data-dir", str(self.data_dir), *map(str, args)]
        if netns:
            argv = ["ip", "netns", "exec", netns, *argv]
        listeners = sum(1 for a in args if str(a) in ("--listen", "--listen-connect"))
        self.expected_listeners = max(listeners, 1)
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log,
                                     env={**os.environ, **(env or {})})
        self.listening = self._wait_listening()
        self.port = self.listening[0][1]

    def log(self):
        return self.log_path.read_text(errors="replace")

    def _wait_listening(self, timeout=15):
        """Waits for one "listening on ADDR:PORT (" line per listener; returns [(addr, port)]."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = re.findall(r"listening on (\S+) \(", self.log())
            if len(found) >= self.expected_listeners:
                return [(text.rsplit(":", 1)[0].strip("[]"), int(text.rsplit(":", 1)[1])) for text in found]
            if self.proc.poll() is not None:
                raise AssertionError(f"cursor-proxy exited with {self.proc.returncode}:\n{self.log()}")
            time.sleep(0.05)
        raise AssertionError(f"cursor-proxy did not start listening within {timeout}s:\n{self.log()}")

    def wait_log(self, pattern, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            match = re.search(pattern, self.log())
            if match:
                return match
            time.sleep(0.05)
        raise AssertionError(f"no log line matching {pattern!r} within {timeout}s:\n{self.log()}")

    def counters(self):
        """The running proxy's counters, read through `cursor-proxy status --json`."""
        r = subprocess.run([str(self.binary), "status", "--socket", str(self.data_dir / "status.sock"), "--json"],
                           capture_output=True, text=True, timeout=10)
        assert r.returncode == 0, r.stderr
        return json.loads(r.stdout)["counters"]

    def rss_kib(self):
        return status_kib(self.proc.pid, "VmRSS")

    def stop(self, sig=signal.SIGTERM, timeout=15):
        returncode = stop(self.proc, sig, timeout)
        self._log.close()
        return returncode


def new_data_dir():
    DATA_ROOT.mkdir(mode=0o700, exist_ok=True)
    return pathlib.Path(tempfile.mkdtemp(prefix="proxy-", dir=DATA_ROOT))


def remove_data_dir(path):
    shutil.rmtree(path, ignore_errors=True)


def curl(proxy, url, *extra, cacert=None, timeout=20):
    """curl through the proxy's CONNECT port; returns the CompletedProcess."""
    argv = ["curl", "-sS", "--max-time", str(timeout), "--proxy", f"http://127.0.0.1:{proxy.port}"]
    if cacert is not None:
        argv += ["--cacert", str(cacert)]
    return subprocess.run(argv + [*map(str, extra), url], capture_output=True, timeout=timeout + 10)


def client_hello(server_name="api2.cursor.sh", alpn=("h2", "http/1.1")):
    """The bytes of a real ClientHello (Python's ssl, i.e. OpenSSL), without sending it anywhere."""
    context = ssl.create_default_context()
    context.set_alpn_protocols(list(alpn))
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = context.wrap_bio(incoming, outgoing, server_hostname=server_name)
    try:
        tls.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outgoing.read()


def open_tunnel(proxy_port, target, timeout=10):
    """A socket through the proxy's CONNECT port to target ("host:port"), after the 200."""
    sock = socket.create_connection(("127.0.0.1", proxy_port), timeout=timeout)
    sock.sendall(f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n".encode())
    reply = b""
    while b"\r\n\r\n" not in reply:
        chunk = sock.recv(4096)
        assert chunk, f"proxy closed the CONNECT tunnel: {reply!r}"
        reply += chunk
    assert reply.startswith(b"HTTP/1.1 200"), reply
    return sock


if __name__ == "__main__":
    # python3 proxy_support.py serve CERT KEY HOST PORT NAME: an HTTPS upstream in
    # the foreground, for network namespaces (ip netns exec ... python3 ...).
    import sys
    _, command, cert, key, host, port, name = sys.argv
    assert command == "serve", command
    upstream = HttpsUpstream(cert, key, host, name, int(port))
    print(f"serving on {host}:{upstream.port}", flush=True)
    upstream.thread.join()
