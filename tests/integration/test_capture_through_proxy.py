"""Capture end to end through the whole proxy: the HTTP/2 issue's Node peers
(connect-node and grpc-js clients and servers, tests/npm/peers) talk TLS +
HTTP/2 on both legs through `cursor-proxy run --listen-connect` with capture
on, every request carrying a bearer token. `captures show --json` must hold
every message they sent, decoded, in order, with the right field values
(field numbers without a schema, names with a protoc-built --descriptors
set), and the token must appear in no byte of the capture directory."""
import base64
import struct
import subprocess

import pytest

from capture_proxy_support import assert_token_redacted_everywhere, header, messages, peer_pattern, \
    record_peer, shown_rpcs
from test_capture_descriptors import ECHO_PROTO

# Both serve test.EchoService (echo_service.js) with the same four RPCs and messages.
ECHO_PEERS = {"connect-node": "connect_peer.js", "grpc-js": "grpc_echo_peer.js"}
ECHO_RPCS = {"/test.EchoService/Unary", "/test.EchoService/Fail", "/test.EchoService/ServerStream",
             "/test.EchoService/Chat"}
RAW_RPCS = {"/test.Raw/Unary", "/test.Raw/Stream", "/test.Raw/StreamThenFail", "/test.Raw/FailNow"}
GRPC_OK = [{"dir": "response", "headers": [["grpc-status", "0"], ["grpc-message", "OK"]]}]


def unbase64(text):
    return base64.b64decode(text + "=" * (-len(text) % 4))


def msg_fields(m, schema):
    """(text, data, count) of a test.Msg as recorded: by name with the schema,
    by field number (1, 2, 3) without; absent fields as proto3 defaults."""
    if schema:
        assert (m["form"], m["type_name"]) == ("protobuf", "test.Msg"), m
        d = m["decoded"]
        return d.get("text", ""), unbase64(d.get("data", "")), int(d.get("count", 0))
    assert m["form"] == "protobuf-raw" and "type_name" not in m, m
    by_number = {f["field"]: f for f in m["decoded"]}
    assert set(by_number) <= {1, 2, 3} and len(by_number) == len(m["decoded"]), m["decoded"]
    return (by_number.get(1, {}).get("string", ""), unbase64(by_number.get(2, {}).get("bytes", "")),
            by_number.get(3, {}).get("value", 0))


@pytest.fixture
def descriptor_set(tmp_path):
    (tmp_path / "echo.proto").write_text(ECHO_PROTO)
    subprocess.run(["protoc", "--include_imports", "-o", "echo.pb", "echo.proto"], cwd=tmp_path, check=True)
    return tmp_path / "echo.pb"


def detail_text(details, schema):
    """The text of the one test.Msg detail of an RPC's error_details."""
    [detail] = details["details"]
    assert detail["type"] == "test.Msg"
    if schema:
        assert detail["form"] == "protobuf"
        return detail["decoded"]["text"]
    assert detail["form"] == "protobuf-raw"
    return {f["field"]: f for f in detail["decoded"]}[1]["string"]


def assert_connect_endings(rpcs, schema):
    """Connect: the unary error as a JSON body, streams end with an end-of-stream
    envelope; the errors' details (test.Msg) decoded."""
    fail = rpcs["/test.EchoService/Fail"]
    [got] = messages(fail, "response")
    assert fail["status"] == 400 and (got["form"], got["format"]) == ("json", "unary+json")
    assert (got["decoded"]["code"], got["decoded"]["message"]) == ("failed_precondition", "refused: x")
    assert header(fail["response_headers"], "trailer-x-why") == "testing"
    [end] = messages(rpcs["/test.EchoService/ServerStream"], "response", "end_of_stream")
    assert end["index"] == 50 and end["decoded"] == {}
    [end] = messages(rpcs["/test.EchoService/Chat"], "response", "end_of_stream")
    assert end["decoded"]["error"]["code"] == "resource_exhausted"
    assert end["decoded"]["error"]["message"] == "chat over"
    assert end["decoded"]["metadata"] == {"x-turns": ["2"]}
    assert end["error_details"]["code"] == "resource_exhausted"
    assert detail_text(end["error_details"], schema) == "after 2 turns"
    assert rpcs["/test.EchoService/Chat"]["error_details"] == end["error_details"]
    assert fail["error_details"]["message"] == "refused: x"
    assert detail_text(fail["error_details"], schema) == "detail-for-x"


def assert_grpc_endings(rpcs, schema):
    """gRPC: statuses in trailers (non-OK with custom metadata after the chat's
    messages), the unary error as trailers-only response headers, its
    grpc-status-details-bin decoded."""
    fail = rpcs["/test.EchoService/Fail"]
    assert fail["status"] == 200 and messages(fail, "response") == [] and fail["trailers"] == []
    assert [header(fail["response_headers"], n) for n in ("grpc-status", "grpc-message", "x-why")] == \
        ["9", "refused:%20x", "testing"]
    assert (fail["error_details"]["code"], fail["error_details"]["message"]) == (9, "refused: x")
    assert detail_text(fail["error_details"], schema) == "detail-for-x"
    assert rpcs["/test.EchoService/Unary"]["trailers"] == GRPC_OK
    assert rpcs["/test.EchoService/ServerStream"]["trailers"] == GRPC_OK
    assert rpcs["/test.EchoService/Chat"]["trailers"] == [{"dir": "response", "headers": [
        ["grpc-status", "8"], ["grpc-message", "chat%20over"], ["x-turns", "2"]]}]


@pytest.mark.parametrize("schema", [False, True], ids=["field-numbers", "descriptors"])
@pytest.mark.parametrize("peer", list(ECHO_PEERS))
def test_every_message_sent_is_recorded_decoded_in_order(peer, schema, proxy_binary, start_proxy, pki, tmp_path,
                                                         descriptor_set):
    directory = record_peer(ECHO_PEERS[peer], start_proxy, pki, tmp_path,
                            *(["--descriptors", descriptor_set] if schema else []))
    rpcs = shown_rpcs(proxy_binary, directory)
    assert set(rpcs) == ECHO_RPCS
    assert all((r["alpn"], r["host"], r["ended"], r["complete"]) == ("h2", "localhost", True, True)
               for r in rpcs.values()), rpcs
    stream_type = "application/grpc" if peer == "grpc-js" else "application/connect+proto"
    assert rpcs["/test.EchoService/Chat"]["content_type"] == stream_type

    # Unary, the request gzip-compressed: one message each way, the 300,000 data bytes intact.
    unary = rpcs["/test.EchoService/Unary"]
    [sent], [got] = messages(unary, "request"), messages(unary, "response")
    assert sent["compressed"] and sent["decoded_size"] > 300000 > sent["wire_size"]
    assert msg_fields(sent, schema) == ("hello", peer_pattern(300000, 7), 0)
    assert msg_fields(got, schema) == ("echo:hello", peer_pattern(300000, 7), 300000)

    [sent] = messages(rpcs["/test.EchoService/Fail"], "request")
    assert msg_fields(sent, schema)[0] == "x"

    # Server streaming: count 50 asked, 50 messages back in order.
    stream = rpcs["/test.EchoService/ServerStream"]
    [sent] = messages(stream, "request")
    assert msg_fields(sent, schema) == ("", b"", 50)
    assert [msg_fields(m, schema) for m in messages(stream, "response")] == \
        [("", peer_pattern(20000, i), i) for i in range(50)]

    # The chat shape: the second request left only after the first answer came back.
    chat = rpcs["/test.EchoService/Chat"]
    sent, got = messages(chat, "request"), messages(chat, "response")
    assert [msg_fields(m, schema) for m in sent] == [("first", b"", 0), ("second", b"", 0)]
    assert [msg_fields(m, schema) for m in got] == [("answer:first", b"", 1), ("answer:second", b"", 2)]
    assert got[0]["time"] <= sent[1]["time"], "the bidi stream was not recorded as it happened"

    (assert_grpc_endings if peer == "grpc-js" else assert_connect_endings)(rpcs, schema)
    assert_token_redacted_everywhere(rpcs, directory)


def raw_payloads(directory, ms):
    """Each message's payload from the --capture-raw file it points to."""
    out = []
    for m in ms:
        with open(directory / m["raw"]["file"], "rb") as f:
            f.seek(m["raw"]["offset"])
            out.append(f.read(m["raw"]["length"]))
    return out


def test_grpc_js_raw_messages_binary_metadata_and_trailers_only(proxy_binary, start_proxy, pki, tmp_path):
    # grpc_peer.js sends raw bytes, not protobuf: --capture-raw keeps each
    # payload so the test can compare it byte for byte.
    directory = record_peer("grpc_peer.js", start_proxy, pki, tmp_path, "--capture-raw")
    rpcs = shown_rpcs(proxy_binary, directory)
    assert set(rpcs) == RAW_RPCS
    assert all((r["alpn"], r["status"], r["content_type"], r["ended"]) == ("h2", 200, "application/grpc", True)
               for r in rpcs.values()), rpcs

    unary = rpcs["/test.Raw/Unary"]
    assert [m["format"] for m in unary["messages"]] == ["grpc+proto"] * 2
    assert raw_payloads(directory, messages(unary, "request")) == [peer_pattern(100000, 3)]
    assert raw_payloads(directory, messages(unary, "response")) == [b"echo:" + peer_pattern(100000, 3)]
    assert unary["trailers"] == GRPC_OK

    stream = rpcs["/test.Raw/Stream"]
    assert raw_payloads(directory, messages(stream, "request")) == [struct.pack(">I", 40)]
    assert raw_payloads(directory, messages(stream, "response")) == [peer_pattern(10000, i) for i in range(40)]
    assert stream["trailers"] == GRPC_OK

    # Messages, then a non-OK status in the trailers with custom and binary metadata.
    failing = rpcs["/test.Raw/StreamThenFail"]
    [empty] = messages(failing, "request")
    assert (empty["wire_size"], empty["decoded"]) == (0, [])
    assert raw_payloads(directory, messages(failing, "response")) == [b"one", b"two"]
    assert failing["trailers"] == [{"dir": "response", "headers": [
        ["grpc-status", "8"], ["grpc-message", "slow%20down"], ["x-reason", "quota"], ["x-blob-bin", "AAEC/w=="]]}]

    # Trailers-only: the status arrives in the response headers, no message, no trailers.
    only = rpcs["/test.Raw/FailNow"]
    assert raw_payloads(directory, messages(only, "request")) == [b"widget"]
    assert messages(only, "response") == [] and only["trailers"] == []
    assert [header(only["response_headers"], n) for n in ("grpc-status", "grpc-message", "x-missing")] == \
        ["5", "no%20such%20thing", "widget"]

    assert_token_redacted_everywhere(rpcs, directory)
