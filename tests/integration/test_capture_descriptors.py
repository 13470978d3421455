"""--descriptors: with a FileDescriptorSet built here by protoc, captured
messages carry field names (protobuf JSON mapping) through the real relay."""
import json
import subprocess

from capture_support import FEED, private_dir
from test_capture_e2e import captures, connect_server, record_connect_client  # noqa: F401 (fixture)

ECHO_PROTO = """
syntax = "proto3";
package test;
message Msg { string text = 1; bytes data = 2; int32 count = 3; }
service EchoService {
  rpc Unary(Msg) returns (Msg);
  rpc Fail(Msg) returns (Msg);
  rpc ServerStream(Msg) returns (stream Msg);
  rpc Chat(stream Msg) returns (stream Msg);
}
"""


def test_descriptor_set_names_fields_of_every_message(proxy_binary, connect_server, tmp_path):
    with private_dir() as d:
        (d / "echo.proto").write_text(ECHO_PROTO)
        subprocess.run(["protoc", "--include_imports", "-o", "echo.pb", "echo.proto"], cwd=d, check=True)
        directory = d / "captures"
        rpcs = record_connect_client(proxy_binary, connect_server, directory, tmp_path, "--descriptors", d / "echo.pb")
        chat = captures(proxy_binary, directory, "show", rpcs["/test.EchoService/Chat"]["rpc"])
        messages = [m for m in chat["messages"] if m["kind"] == "message"]
        assert all(m["form"] == "protobuf" and m["type_name"] == "test.Msg" for m in messages)
        assert [m["decoded"]["text"] for m in messages if m["dir"] == "request"] == ["first", "second"]
        assert [(m["decoded"]["text"], m["decoded"]["count"]) for m in messages if m["dir"] == "response"] == \
            [("answer:first", 1), ("answer:second", 2)]


def test_a_file_that_is_not_a_descriptor_set_is_refused(tmp_path):
    with private_dir() as d:
        bad = d / "bad.pb"
        bad.write_bytes(b"\xff\xff\xff not protobuf")
        r = subprocess.run([str(FEED), "--capture-dir", str(d / "c"), "--descriptors", str(bad)], input="",
                           capture_output=True, text=True)
        assert r.returncode == 1
        assert "is not a FileDescriptorSet" in r.stderr
