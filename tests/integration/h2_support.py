"""Helpers for the HTTP/2 relay tests: tests/tools/h2c-relay, real peers
(nghttpd, Node's connect-node and grpc-js under tests/npm/peers, a scripted
python3-h2 server) and a python3-h2 client that also records the raw frames
it receives. Everything listens on 127.0.0.1 only."""
import json
import os
import pathlib
import socket
import ssl
import struct
import subprocess
import threading
import time

import h2.config
import h2.connection
import h2.events
import h2.exceptions
import h2.settings

from process_support import Process, free_port, wait_for_port  # noqa: F401 (Process: tests import it from here)

ROOT = pathlib.Path(__file__).resolve().parents[2]
BUILD = pathlib.Path(os.environ.get("BUILDDIR", ROOT / "build"))
H2C_RELAY = BUILD / "tests" / "tools" / "h2c-relay"
NPM = ROOT / "tests" / "npm"
NODE = "/usr/bin/node"

# HTTP/2 error codes (RFC 9113 section 7).
NO_ERROR, PROTOCOL_ERROR, INTERNAL_ERROR, FLOW_CONTROL_ERROR = 0x0, 0x1, 0x2, 0x3
STREAM_CLOSED, FRAME_SIZE_ERROR, REFUSED_STREAM, CANCEL = 0x5, 0x6, 0x7, 0x8
ENHANCE_YOUR_CALM = 0xb
DATA, HEADERS, RST_STREAM, SETTINGS, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = 0, 1, 3, 4, 6, 7, 8, 9
END_STREAM, END_HEADERS = 0x1, 0x4
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


def pattern(n):
    return (bytes(range(251)) * (n // 251 + 1))[:n]


def frame(ftype, flags, stream_id, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + struct.pack(">I", stream_id) + payload


class FrameParser:
    """Splits received bytes into (type, flags, stream_id, payload) tuples."""

    def __init__(self):
        self.buffer = b""
        self.frames = []

    def feed(self, data):
        self.buffer += data
        while len(self.buffer) >= 9:
            length = int.from_bytes(self.buffer[:3], "big")
            if len(self.buffer) < 9 + length:
                break
            ftype, flags = self.buffer[3], self.buffer[4]
            stream_id = int.from_bytes(self.buffer[5:9], "big") & 0x7FFFFFFF
            self.frames.append((ftype, flags, stream_id, self.buffer[9:9 + length]))
            self.buffer = self.buffer[9 + length:]

    def goaway_code(self):
        codes = [int.from_bytes(p[4:8], "big") for t, _, _, p in self.frames if t == GOAWAY]
        return codes[-1] if codes else None


class H2cRelay(Process):
    """tests/tools/h2c-relay in front of 127.0.0.1:upstream_port, with its JSON events."""

    def __init__(self, upstream_port, *extra, tmp_path):
        assert H2C_RELAY.exists(), f"{H2C_RELAY} missing: build the tests first (scripts/build)"
        super().__init__([str(H2C_RELAY), "0", str(upstream_port), "--verbose", *extra], tmp_path,
                         f"h2c-relay-{upstream_port}", ready=lambda line: '"listening"' in line)
        self.port = self.events(lambda e: e["event"] == "listening")[0]["port"]

    def events(self, predicate=lambda e: True):
        return [e for e in (json.loads(x) for x in list(self.lines)) if predicate(e)]

    def wait_event(self, predicate, timeout=10):
        self.wait_for(lambda line: predicate(json.loads(line)), timeout)
        return self.events(predicate)


class NodePeer(Process):
    """tests/npm/peers/<script> server PORT."""

    def __init__(self, script, tmp_path, tls=None):
        """tls: (cert, key) to serve HTTPS instead of h2c."""
        assert (NPM / "node_modules" / "@connectrpc").exists(), "tests/npm/node_modules missing: run npm ci in tests/npm"
        self.port = free_port()
        env = {"PEER_TLS_CERT": str(tls[0]), "PEER_TLS_KEY": str(tls[1])} if tls else None
        super().__init__([NODE, f"peers/{script}", "server", str(self.port)], tmp_path, script,
                         cwd=NPM, ready=lambda line: line == "ready", env=env)

    @staticmethod
    def client(script, target, timeout=60, mode="client", env=None):
        r = subprocess.run([NODE, f"peers/{script}", mode, target], cwd=NPM, capture_output=True, timeout=timeout,
                           env={**os.environ, **(env or {})})
        out = r.stdout.decode().strip().splitlines()
        assert out, f"{script} client printed nothing; rc={r.returncode} stderr={r.stderr.decode()[-2000:]}"
        return r.returncode, json.loads(out[-1])


class Nghttpd(Process):
    """nghttpd (nghttp2-server) serving docroot over h2c on a free port."""

    def __init__(self, docroot, tmp_path, *extra):
        self.port = free_port()
        super().__init__(["nghttpd", "--no-tls", "-d", str(docroot), *extra, str(self.port)], tmp_path, "nghttpd")
        wait_for_port(self.port, proc=self.proc, timeout=15)


class H2Client:
    """A python3-h2 client on one TCP connection that also keeps every raw frame received."""

    def __init__(self, port=None, settings=None, window=None, record_frames=True, sock=None):
        """Connects to 127.0.0.1:port, or speaks over sock (e.g. TLS through a CONNECT tunnel)."""
        self.record_frames = record_frames
        self.h2_closed = False
        self.sock = sock or socket.create_connection(("127.0.0.1", port), timeout=10)
        self.conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
        self.conn.initiate_connection()
        if settings:
            self.conn.update_settings(settings)
        if window:
            self.conn.increment_flow_control_window(window)
        self.parser = FrameParser()
        self.events = []
        self.flush()

    def flush(self):
        data = self.conn.data_to_send()
        if data:
            self.sock.sendall(data)

    def request(self, path, method="GET", body=None, trailers=None, headers=(), end=True):
        sid = self.conn.get_next_available_stream_id()
        hdrs = [(":method", method), (":path", path), (":scheme", "http"), (":authority", "test"), *headers]
        self.conn.send_headers(sid, hdrs, end_stream=end and body is None and trailers is None)
        if body is not None:
            self.send_body(sid, body, end=end and trailers is None)
        if trailers:
            self.conn.send_headers(sid, trailers, end_stream=True)
        self.flush()
        return sid

    def send_body(self, sid, body, end=False):
        while body:
            while self.conn.local_flow_control_window(sid) == 0:
                self.pump()
            n = min(len(body), self.conn.local_flow_control_window(sid), self.conn.max_outbound_frame_size)
            self.conn.send_data(sid, body[:n])
            body = body[n:]
            self.flush()
        if end:
            self.conn.end_stream(sid)
        self.flush()

    def pump(self, timeout=10):
        """Reads once; returns the new events (maybe none: a frame may span reads), None when the peer closed."""
        self.sock.settimeout(timeout)
        data = self.sock.recv(1 << 20)
        if not data:
            return None
        if self.record_frames:
            self.parser.feed(data)
        if self.h2_closed:
            return [None]  # python3-h2 stops at a GOAWAY; the raw frames still tell what came
        try:
            new = self.conn.receive_data(data)
        except h2.exceptions.ProtocolError:
            self.h2_closed = True
            return [None]
        for e in new:
            if isinstance(e, h2.events.DataReceived):
                self.conn.acknowledge_received_data(e.flow_controlled_length, e.stream_id)
        self.flush()
        if self.record_frames:
            self.events.extend(new)
        return new

    def wait(self, predicate, timeout=10):
        deadline = time.monotonic() + timeout
        while not any(predicate(e) for e in self.events):
            assert time.monotonic() < deadline, f"timed out; events {self.events[-8:]}"
            assert self.pump(max(0.1, deadline - time.monotonic())) is not None, \
                f"connection closed; events {self.events[-8:]}"
        return [e for e in self.events if predicate(e)]

    def finish(self, sid, timeout=10):
        """Waits until the stream ends or is reset; returns (headers, body, trailers, reset_code)."""
        done = lambda e: getattr(e, "stream_id", None) == sid and isinstance(e, (h2.events.StreamEnded, h2.events.StreamReset))
        self.wait(done, timeout)
        mine = [e for e in self.events if getattr(e, "stream_id", None) == sid]
        headers = next((dict(e.headers) for e in mine if isinstance(e, h2.events.ResponseReceived)), None)
        body = b"".join(e.data for e in mine if isinstance(e, h2.events.DataReceived))
        trailers = next((dict(e.headers) for e in mine if isinstance(e, h2.events.TrailersReceived)), None)
        reset = next((e.error_code for e in mine if isinstance(e, h2.events.StreamReset)), None)
        return headers, body, trailers, reset

    def read_for(self, seconds):
        """Reads (and answers PINGs) for this long; fails if the relay closes."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                assert self.pump(left) is not None, "connection closed"
            except socket.timeout:
                break

    def read_until_closed(self, timeout=10):
        """Reads raw frames until the relay closes the connection."""
        deadline = time.monotonic() + timeout
        while self.pump(max(0.1, deadline - time.monotonic())) is not None:
            assert time.monotonic() < deadline, "connection still open"

    def frames_on(self, sid):
        return [(t, f, len(p)) for t, f, s, p in self.parser.frames if s == sid]

    def close(self):
        self.sock.close()


class ScriptedUpstream:
    """A python3-h2 server; what it answers depends on :path:

    /trailers-only  HEADERS(:status 200, grpc-status 5) with END_STREAM
    /empty          HEADERS(:status 200, content-length 0) with END_STREAM
    /trailers       HEADERS, DATA "abc", a pause, then trailers (x-end: yes)
    /echo           the request body back once the request ended, then trailers
    /big/N          N bytes of a pattern
    /reset          HEADERS, 1000 bytes, then RST_STREAM(ENHANCE_YOUR_CALM)
    /hang           HEADERS, then nothing (the client is expected to cancel)
    /goaway         HEADERS, GOAWAY(NO_ERROR, this stream), then DATA "bye" with END_STREAM
    /die            HEADERS, then the TCP connection is closed
    Records the frames and resets it receives per stream."""

    def __init__(self, settings=None, tls=None):
        """tls: (cert, key) to serve HTTPS (ALPN h2) instead of h2c."""
        self.tls = None
        if tls:
            self.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.tls.load_cert_chain(str(tls[0]), str(tls[1]))
            self.tls.set_alpn_protocols(["h2"])
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.settings = settings or {}
        self.resets = []      # (path, code)
        self.errors = []      # why connections ended
        self.requests = []    # (path, frames[(type, flags, length)])
        self.connections = []
        self.closing = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.closing:
            try:
                sock, _ = self.listener.accept()
            except OSError:
                return
            self.connections.append(sock)
            threading.Thread(target=self._serve, args=(sock,), daemon=True).start()

    def _serve(self, sock):
        if self.tls:
            try:
                sock = self.tls.wrap_socket(sock, server_side=True)
            except (OSError, ssl.SSLError):
                return
            self.connections.append(sock)
        conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False, header_encoding="utf-8"))
        conn.initiate_connection()
        if self.settings:
            conn.update_settings(self.settings)
        conn.increment_flow_control_window(16 << 20)
        parser = FrameParser()
        preface_left = len(PREFACE)  # the client preface is not a frame
        paths, bodies, pending = {}, {}, {}
        sock.sendall(conn.data_to_send())
        try:
            while True:
                data = sock.recv(1 << 20)
                if not data:
                    return
                skip = min(preface_left, len(data))
                preface_left -= skip
                parser.feed(data[skip:])
                for e in conn.receive_data(data):
                    sid = getattr(e, "stream_id", None)
                    if isinstance(e, h2.events.RequestReceived):
                        paths[sid] = dict(e.headers)[":path"]
                        bodies[sid] = b""
                        if self._on_request(sock, conn, sid, paths[sid], pending) == "die":
                            sock.close()
                            return
                    elif isinstance(e, h2.events.DataReceived):
                        bodies[sid] += e.data
                        conn.acknowledge_received_data(e.flow_controlled_length, sid)
                    elif isinstance(e, h2.events.StreamEnded):
                        self.requests.append((paths[sid], [(t, f, len(p)) for t, f, s, p in parser.frames if s == sid]))
                        if paths[sid] == "/echo":
                            conn.send_headers(sid, [(":status", "200")])
                            pending[sid] = (bodies[sid], [("x-echoed", str(len(bodies[sid])))])
                    elif isinstance(e, h2.events.StreamReset):
                        self.resets.append((paths.get(sid), e.error_code))
                    elif isinstance(e, h2.events.WindowUpdated):
                        pass
                self._send_pending(conn, pending)
                sock.sendall(conn.data_to_send())
        except (OSError, h2.exceptions.ProtocolError) as e:
            self.errors.append(repr(e))  # the relay went away or closed this connection

    def _on_request(self, sock, conn, sid, path, pending):
        if path == "/trailers-only":
            conn.send_headers(sid, [(":status", "200"), ("grpc-status", "5")], end_stream=True)
        elif path == "/empty":
            conn.send_headers(sid, [(":status", "200"), ("content-length", "0")], end_stream=True)
        elif path == "/trailers":
            conn.send_headers(sid, [(":status", "200")])
            conn.send_data(sid, b"abc")
            sock.sendall(conn.data_to_send())
            time.sleep(0.2)  # the relay has relayed the DATA and parked its data source
            conn.send_headers(sid, [("x-end", "yes")], end_stream=True)
        elif path.startswith("/big/"):
            conn.send_headers(sid, [(":status", "200")])
            pending[sid] = (pattern(int(path.split("/")[2])), None)
        elif path == "/reset":
            conn.send_headers(sid, [(":status", "200")])
            conn.send_data(sid, bytes(1000))
            sock.sendall(conn.data_to_send())
            time.sleep(0.1)
            conn.reset_stream(sid, ENHANCE_YOUR_CALM)
        elif path == "/goaway":
            conn.send_headers(sid, [(":status", "200")])
            sock.sendall(conn.data_to_send())
            # A graceful GOAWAY (python3-h2 would refuse to send anything after its own).
            sock.sendall(frame(GOAWAY, 0, 0, struct.pack(">II", sid, NO_ERROR)))
            time.sleep(0.1)
            conn.send_data(sid, b"bye", end_stream=True)
        elif path in ("/hang", "/die", "/echo"):
            if path != "/echo":
                conn.send_headers(sid, [(":status", "200")])
                sock.sendall(conn.data_to_send())
            if path == "/die":
                time.sleep(0.1)
                return "die"
        return None

    @staticmethod
    def _send_pending(conn, pending):
        """Sends queued bodies as far as flow control allows, then trailers or END_STREAM."""
        for sid in list(pending):
            body, trailers = pending[sid]
            while body:
                n = min(len(body), conn.local_flow_control_window(sid), conn.max_outbound_frame_size)
                if n <= 0:
                    break
                conn.send_data(sid, body[:n])
                body = body[n:]
            pending[sid] = (body, trailers)
            if not body:
                del pending[sid]
                if trailers:
                    conn.send_headers(sid, trailers, end_stream=True)
                else:
                    conn.end_stream(sid)

    def close(self):
        self.closing = True
        self.listener.close()
        for s in self.connections:
            try:
                s.close()
            except OSError:
                pass
