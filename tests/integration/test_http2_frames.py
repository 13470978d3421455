"""The HTTP/2 relay frame by frame, with python3-h2 on both sides (a scripted
upstream and a client that records the raw frames it gets), through
tests/tools/h2c-relay: frame shapes kept, resets forwarded both ways, a dying
upstream, peers with different SETTINGS, and malformed input."""
import signal
import socket
import struct
import time

import pytest

from h2_support import (CANCEL, CONTINUATION, DATA, END_HEADERS, END_STREAM, ENHANCE_YOUR_CALM, FLOW_CONTROL_ERROR,
                        FRAME_SIZE_ERROR, GOAWAY, HEADERS, INTERNAL_ERROR, PREFACE, PROTOCOL_ERROR, REFUSED_STREAM,
                        NO_ERROR, RST_STREAM, SETTINGS, STREAM_CLOSED, WINDOW_UPDATE, FrameParser, H2Client, H2cRelay, ScriptedUpstream,
                        frame, pattern)


@pytest.fixture
def upstream():
    server = ScriptedUpstream()
    yield server
    server.close()


@pytest.fixture
def relay(upstream, tmp_path):
    r = H2cRelay(upstream.port, tmp_path=tmp_path)
    yield r
    r.close()


@pytest.fixture
def client(relay):
    c = H2Client(relay.port)
    yield c
    c.close()


def test_trailers_only_and_empty_responses_stay_one_headers_frame(client):
    for path in ("/trailers-only", "/empty"):
        sid = client.request(path)
        headers, body, trailers, reset = client.finish(sid)
        assert reset is None and body == b"" and trailers is None
        assert client.frames_on(sid) == [(HEADERS, END_STREAM | END_HEADERS, client.frames_on(sid)[0][2])], path
    assert headers[":status"] == "200"


def test_late_trailers_follow_the_last_data_frame_without_an_empty_data_frame(client):
    sid = client.request("/trailers")
    headers, body, trailers, reset = client.finish(sid)
    assert body == b"abc" and trailers == {"x-end": "yes"} and reset is None
    assert [(t, f) for t, f, _ in client.frames_on(sid)] == [(HEADERS, END_HEADERS), (DATA, 0),
                                                             (HEADERS, END_STREAM | END_HEADERS)]


def test_request_body_trailers_and_zero_length_requests_reach_upstream_as_sent(client, upstream, relay):
    sid = client.request("/echo", method="POST", body=b"xyz", trailers=[("x-req-trailer", "1")])
    headers, body, trailers, reset = client.finish(sid)
    assert body == b"xyz" and trailers == {"x-echoed": "3"}
    empty = client.request("/empty")
    client.finish(empty)
    frames = dict(upstream.requests)
    assert [(t, f) for t, f, _ in frames["/echo"]] == [(HEADERS, END_HEADERS), (DATA, 0),
                                                        (HEADERS, END_STREAM | END_HEADERS)]
    assert [(t, f) for t, f, _ in frames["/empty"]] == [(HEADERS, END_STREAM | END_HEADERS)]
    relay.wait_event(lambda e: e["event"] == "trailers" and e["direction"] == "request")


def test_upstream_reset_mid_body_reaches_the_client_with_its_code(client, relay):
    sid = client.request("/reset")
    headers, body, trailers, reset = client.finish(sid)
    assert headers[":status"] == "200" and reset == ENHANCE_YOUR_CALM
    closed = relay.wait_event(lambda e: e["event"] == "stream_closed")[0]
    assert closed["error_code"] == ENHANCE_YOUR_CALM and closed["reset_by"] == "response"


def test_client_cancel_reaches_the_upstream(client, upstream, relay):
    sid = client.request("/hang")
    client.wait(lambda e: getattr(e, "stream_id", None) == sid and type(e).__name__ == "ResponseReceived")
    client.conn.reset_stream(sid, CANCEL)
    client.flush()
    deadline = time.monotonic() + 10
    while ("/hang", CANCEL) not in upstream.resets:
        assert time.monotonic() < deadline, upstream.resets
        time.sleep(0.05)
    closed = relay.wait_event(lambda e: e["event"] == "stream_closed")[0]
    assert closed["error_code"] == CANCEL and closed["reset_by"] == "request"


def test_streams_still_open_when_the_relay_stops_are_reported_cancelled(client, relay):
    sid = client.request("/hang")
    client.wait(lambda e: getattr(e, "stream_id", None) == sid and type(e).__name__ == "ResponseReceived")
    relay.wait_event(lambda e: e["event"] == "response_headers")
    assert not relay.events(lambda e: e["event"] == "stream_closed")
    relay.proc.send_signal(signal.SIGTERM)   # the relay stops with the stream open
    assert relay.proc.wait(10) == 0
    relay.reader.join(5)
    closed = relay.events(lambda e: e["event"] == "stream_closed")
    assert len(closed) == 1, relay.lines[-5:]
    assert closed[0]["stream"] == sid and closed[0]["error_code"] == CANCEL and closed[0]["reset_by"] == "proxy"


def test_upstream_death_resets_its_streams_and_spares_other_connections(relay):
    bystander = H2Client(relay.port)
    victim = H2Client(relay.port)
    try:
        slow = bystander.request("/trailers")
        doomed = victim.request("/die")
        _, _, _, reset = victim.finish(doomed)
        assert reset == INTERNAL_ERROR
        victim.wait(lambda e: type(e).__name__ == "ConnectionTerminated")
        headers, body, trailers, reset = bystander.finish(slow)
        assert body == b"abc" and trailers == {"x-end": "yes"} and reset is None
    finally:
        bystander.close()
        victim.close()


def test_upstream_goaway_lets_the_running_stream_finish_then_closes(client, relay):
    sid = client.request("/goaway")
    client.read_until_closed()
    frames = [(t, f, s, p) for t, f, s, p in client.parser.frames if t in (DATA, GOAWAY)]
    assert frames == [(GOAWAY, 0, 0, struct.pack(">II", sid, NO_ERROR)), (DATA, END_STREAM, sid, b"bye")]
    relay.wait_event(lambda e: e["event"] == "connection_closed")


def test_client_goaway_lets_the_running_stream_finish_and_ends_the_upstream_connection(client, upstream, relay):
    sid = client.request("/trailers")
    client.sock.sendall(frame(GOAWAY, 0, 0, struct.pack(">II", 0, NO_ERROR)))
    headers, body, trailers, reset = client.finish(sid)
    assert body == b"abc" and trailers == {"x-end": "yes"} and reset is None
    relay.wait_event(lambda e: e["event"] == "connection_closed")


@pytest.mark.parametrize("client_frame, upstream_frame", [(16384, 16777215), (16777215, 16384)])
def test_one_mib_passes_between_peers_with_different_settings(tmp_path, client_frame, upstream_frame):
    upstream = ScriptedUpstream(settings={SETTINGS_MAX_FRAME_SIZE: upstream_frame})
    relay = H2cRelay(upstream.port, tmp_path=tmp_path)
    c = H2Client(relay.port, settings={SETTINGS_MAX_FRAME_SIZE: client_frame}, window=16 << 20)
    try:
        message = pattern(1 << 20)
        sid = c.request("/echo", method="POST", body=message)
        headers, body, trailers, reset = c.finish(sid, timeout=30)
        assert reset is None and body == message and trailers == {"x-echoed": str(1 << 20)}
        sid = c.request("/big/1048576")
        headers, body, trailers, reset = c.finish(sid, timeout=30)
        assert body == message
        assert max(n for t, _, n in c.frames_on(sid) if t == DATA) <= client_frame
    finally:
        c.close()
        relay.close()
        upstream.close()


SETTINGS_MAX_FRAME_SIZE = 0x5


def raw_session(port, *frames, read_for=3.0, preface=PREFACE):
    """Sends the preface, our SETTINGS and frames; returns the frames received until the relay closes."""
    parser = FrameParser()
    with socket.create_connection(("127.0.0.1", port), timeout=read_for) as s:
        s.sendall(preface + frame(SETTINGS, 0, 0))
        for f in frames:
            try:
                s.sendall(f)
            except OSError:
                break
        deadline = time.monotonic() + read_for
        while time.monotonic() < deadline:
            try:
                chunk = s.recv(65536)
            except (socket.timeout, ConnectionResetError):
                break
            if not chunk:
                break
            parser.feed(chunk)
    return parser


def hpack_get(path="/empty"):
    import hpack
    return hpack.Encoder().encode([(":method", "GET"), (":path", path), (":scheme", "http"), (":authority", "t")])


MALFORMED = {
    "settings_with_bad_length": ([frame(SETTINGS, 0, 0, b"\0" * 5)], FRAME_SIZE_ERROR),
    "window_overflow": ([frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", 0x7FFFFFFF))], FLOW_CONTROL_ERROR),
    # The client half-closed stream 1 with END_STREAM, then sends DATA on it.
    "data_on_closed_stream": ([frame(HEADERS, END_STREAM | END_HEADERS, 1, hpack_get()),
                               frame(DATA, 0, 1, b"late")], STREAM_CLOSED),
    "data_on_idle_stream": ([frame(DATA, 0, 9, b"x")], PROTOCOL_ERROR),
    # An endless header block: 300 CONTINUATION frames of 8 KB fields.
    "continuation_flood": ([frame(HEADERS, 0, 1, hpack_get())] +
                           [frame(CONTINUATION, 0, 1, b"\x00\x01a\x7f\xc1\x3d" + b"b" * 8000) for _ in range(300)],
                           ENHANCE_YOUR_CALM),
    "bad_client_preface": ([], PROTOCOL_ERROR),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_input_closes_that_connection_with_the_right_goaway(relay, case):
    frames, code = MALFORMED[case]
    preface = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" if case == "bad_client_preface" else PREFACE
    parser = raw_session(relay.port, *frames, preface=preface)
    got = parser.goaway_code()
    assert got == code, (case, got, parser.frames[-5:])
    assert not relay.events(lambda e: e["event"] == "request_headers" and case != "data_on_closed_stream")
    # The relay keeps serving others.
    c = H2Client(relay.port)
    try:
        assert c.finish(c.request("/empty"))[0][":status"] == "200"
    finally:
        c.close()


def test_headers_flood_is_refused_beyond_our_limit_and_waits_beyond_the_upstreams(relay):
    # 300 open streams: we advertise 256, so 44 are refused; the python3-h2
    # upstream allows 100 at once, so 100 get answers and 156 wait their turn.
    frames = [frame(HEADERS, END_HEADERS, 1 + 2 * i, hpack_get("/hang")) for i in range(300)]
    parser = raw_session(relay.port, *frames)
    refused = [s for t, _, s, p in parser.frames if t == RST_STREAM and int.from_bytes(p, "big") == REFUSED_STREAM]
    answered = {s for t, _, s, _ in parser.frames if t == HEADERS}
    assert len(refused) == 44 and min(refused) > 2 * 256, refused[:5]
    assert len(answered) == 100 and not answered & set(refused)


def test_quiet_connections_get_keepalive_pings_and_idle_ones_a_clean_goaway(upstream, tmp_path):
    relay = H2cRelay(upstream.port, "--keepalive-seconds", "1", "--idle-seconds", "3", tmp_path=tmp_path)
    client = H2Client(relay.port)
    try:
        # A stream that stays open but silent (a chat waiting on the model) is not idle.
        sid = client.request("/hang")
        client.wait(lambda e: type(e).__name__ == "PingReceived", timeout=5)
        client.read_for(4)
        assert not [f for f in client.parser.frames if f[0] == GOAWAY]
        assert len([e for e in client.events if type(e).__name__ == "PingReceived"]) >= 3
        client.conn.reset_stream(sid, CANCEL)
        client.flush()
        # Now without streams: after the idle timeout the relay says goodbye and closes.
        started = time.monotonic()
        client.read_until_closed(timeout=10)
        assert 2 <= time.monotonic() - started <= 6
        assert client.parser.goaway_code() == NO_ERROR
    finally:
        client.close()
        relay.close()
