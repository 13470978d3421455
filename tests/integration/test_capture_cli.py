"""cursor-proxy captures list/show/tail/export and status, on captures made by
the real capture service (through capture-feed) and a real status socket."""
import json
import os
import stat
import subprocess
import time

from capture_support import (CHAT_PATH, FEED, TOKEN, all_bytes, chat_rpc, feed, open_conn, pb_string,
                             private_dir)


def run(proxy_binary, *args, check=True):
    r = subprocess.run([str(proxy_binary), *map(str, args)], capture_output=True, text=True, timeout=60)
    if check:
        assert r.returncode == 0, r.stderr
    return r


def make_capture(directory, *extra):
    events = [open_conn(1)]
    events += chat_rpc(1, 1, ["hello", "more"], ["one", "two", "three"])
    events += chat_rpc(1, 3, ["second"], ["reply"])
    events.append({"event": "close", "conn": 1, "reason": "client closed"})
    feed(events, "--capture-dir", directory, *extra)


def texts(messages, direction):
    return [m["decoded"][0]["string"] for m in messages if m["dir"] == direction and m["kind"] == "message"]


def test_list_and_show_find_every_message_decoded_in_order(proxy_binary):
    with private_dir() as d:
        directory = d / "captures"
        make_capture(directory)
        listing = json.loads(run(proxy_binary, "captures", "list", "--dir", directory, "--json").stdout)
        assert len(listing["sessions"]) == 1
        rpcs = listing["rpcs"]
        assert [r["rpc"] for r in rpcs] == ["1.1", "1.3"]
        first = rpcs[0]
        assert first["host"] == "api2.cursor.sh" and first["path"] == CHAT_PATH and first["status"] == 200
        assert first["request_messages"] == 2 and first["response_messages"] == 4  # 3 + end-of-stream
        assert first["ended"] and first["complete"]

        shown = json.loads(run(proxy_binary, "captures", "show", "1.1", "--dir", directory, "--json").stdout)
        assert texts(shown["messages"], "request") == ["hello", "more"]
        assert texts(shown["messages"], "response") == ["one", "two", "three"]
        assert [m["index"] for m in shown["messages"] if m["dir"] == "response"] == [0, 1, 2, 3]
        assert shown["messages"][-1]["kind"] == "end_of_stream"
        assert shown["alpn"] == "h2"

        human = run(proxy_binary, "captures", "show", first["id"], "--dir", directory).stdout
        assert "POST https://api2.cursor.sh" + CHAT_PATH in human
        assert human.index('"hello"') < human.index('"more"') < human.index('"one"')

        table = run(proxy_binary, "captures", "list", "--dir", directory).stdout
        assert "1.3" in table and "StreamUnifiedChatWithTools" in table


def test_redaction_keeps_the_token_out_of_every_byte_and_no_redact_keeps_it(proxy_binary):
    with private_dir() as d:
        directory = d / "captures"
        make_capture(directory)
        data = all_bytes(directory)
        assert TOKEN.encode() not in data
        assert b"checksum-value-123" not in data
        assert b"[redacted sha256:" in data

        clear = d / "clear"
        r, _ = feed([open_conn(1)] + chat_rpc(1, 1, ["x"], ["y"]), "--capture-dir", clear, "--no-redact")
        assert "redaction is off" in r.stderr
        assert TOKEN.encode() in all_bytes(clear)


def test_redact_header_option_redacts_more(proxy_binary):
    with private_dir() as d:
        directory = d / "captures"
        make_capture(directory, "--redact-header", "Connect-Protocol-Version")
        shown = json.loads(run(proxy_binary, "captures", "show", "1.1", "--dir", directory, "--json").stdout)
        value = dict(shown["request_headers"])["connect-protocol-version"]
        assert value.startswith("[redacted sha256:")


def test_filter_options_leave_out_what_they_exclude(proxy_binary):
    with private_dir() as d:
        directory = d / "captures"
        events = [open_conn(1), open_conn(2, sni="metrics.cursor.sh")]
        events += chat_rpc(1, 1, ["keep"], ["kept"])
        events += chat_rpc(2, 1, ["drop"], ["dropped"], host="metrics.cursor.sh")
        feed(events, "--capture-dir", directory, "--no-capture-telemetry")
        rpcs = json.loads(run(proxy_binary, "captures", "list", "--dir", directory, "--json").stdout)["rpcs"]
        assert [r["host"] for r in rpcs] == ["api2.cursor.sh"]
        assert b"metrics.cursor.sh" not in all_bytes(directory)


HAR_REQUIRED = {
    "log": {"version": str, "creator": dict, "entries": list},
    "creator": {"name": str, "version": str},
    "entry": {"startedDateTime": str, "time": (int, float), "request": dict, "response": dict,
              "cache": dict, "timings": dict},
    "request": {"method": str, "url": str, "httpVersion": str, "cookies": list, "headers": list,
                "queryString": list, "headersSize": int, "bodySize": int},
    "response": {"status": int, "statusText": str, "httpVersion": str, "cookies": list, "headers": list,
                 "content": dict, "redirectURL": str, "headersSize": int, "bodySize": int},
    "content": {"size": int, "mimeType": str},
    "timings": {"send": (int, float), "wait": (int, float), "receive": (int, float)},
    "postData": {"mimeType": str, "text": str},
    "header": {"name": str, "value": str},
}


def check_har(har):
    """HAR 1.2 structure: required members and their types."""
    def need(obj, kind, where):
        assert isinstance(obj, dict), f"{where}: not an object"
        for key, typ in HAR_REQUIRED[kind].items():
            assert key in obj, f"{where}: missing {key}"
            assert isinstance(obj[key], typ) and not isinstance(obj[key], bool), f"{where}.{key}: {type(obj[key])}"
    assert set(har) == {"log"}
    need(har["log"], "log", "log")
    assert har["log"]["version"] == "1.2"
    need(har["log"]["creator"], "creator", "log.creator")
    for i, e in enumerate(har["log"]["entries"]):
        where = f"entries[{i}]"
        need(e, "entry", where)
        need(e["request"], "request", where + ".request")
        need(e["response"], "response", where + ".response")
        need(e["response"]["content"], "content", where + ".response.content")
        need(e["timings"], "timings", where + ".timings")
        for k in ("send", "wait", "receive"):
            assert e["timings"][k] >= 0
        if "postData" in e["request"]:
            need(e["request"]["postData"], "postData", where + ".request.postData")
        for h in e["request"]["headers"] + e["response"]["headers"]:
            need(h, "header", where + " header")
        for key in e:
            assert key in HAR_REQUIRED["entry"] or key in ("comment", "serverIPAddress", "connection", "pageref") \
                or key.startswith("_"), f"{where}: unknown member {key}"


def test_har_export_validates_and_joins_streamed_messages(proxy_binary):
    with private_dir() as d:
        directory = d / "captures"
        make_capture(directory)
        out = d / "out.har"
        run(proxy_binary, "captures", "export", "--dir", directory, "--har", out)
        assert stat.S_IMODE(out.stat().st_mode) == 0o600
        har = json.loads(out.read_text())
        check_har(har)
        entries = har["log"]["entries"]
        assert len(entries) == 2
        first = entries[0]
        assert first["request"]["url"] == "https://api2.cursor.sh" + CHAT_PATH
        assert first["request"]["httpVersion"] == "HTTP/2"
        body_lines = first["response"]["content"]["text"].splitlines()
        assert [json.loads(l)[0]["string"] for l in body_lines[:3]] == ["one", "two", "three"]
        assert [m["type"] for m in first["_messages"]].count("send") == 2
        assert TOKEN not in out.read_text()


def test_har_checker_rejects_a_broken_har():
    broken = {"log": {"version": "1.2", "creator": {"name": "x", "version": "1"},
                      "entries": [{"startedDateTime": "t", "time": 1, "request": {}, "response": {},
                                   "cache": {}, "timings": {}}]}}
    try:
        check_har(broken)
    except AssertionError:
        return
    raise AssertionError("check_har accepted an entry without request members")


def test_jsonl_export_and_tail(proxy_binary):
    with private_dir() as d:
        directory = d / "captures"
        make_capture(directory)
        out = d / "out.jsonl"
        run(proxy_binary, "captures", "export", "--dir", directory, "--jsonl", out, "--id", "1.3")
        lines = [json.loads(l) for l in out.read_text().splitlines()]
        assert {l["type"] for l in lines} >= {"session", "connection", "request", "message", "end"}
        assert {l.get("rpc") for l in lines if "rpc" in l} == {"1.3"}

        tail = run(proxy_binary, "captures", "tail", "--dir", directory, "--lines", "3").stdout.splitlines()
        assert len(tail) == 3
        assert "1.3" in tail[-1] and "<<" in tail[-1]
        only = run(proxy_binary, "captures", "tail", "--dir", directory, "--rpc", "*NoSuchService*").stdout
        assert only == ""


def test_tail_follow_prints_new_messages_as_they_are_written(proxy_binary):
    with private_dir() as d:
        directory = d / "captures"
        go = d / "go"
        events = [open_conn(1)] + chat_rpc(1, 1, ["before"], ["b"]) + [{"event": "wait_file", "path": str(go)}]
        events += chat_rpc(1, 3, ["after-follow"], ["x"])
        script = "".join(json.dumps(e) + "\n" for e in events)
        writer = subprocess.Popen([str(FEED), "--capture-dir", str(directory)], stdin=subprocess.PIPE,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True)
        follower = None
        try:
            writer.stdin.write(script)
            writer.stdin.close()
            deadline = time.time() + 20
            while not list(directory.glob("*.jsonl")) and time.time() < deadline:
                time.sleep(0.05)
            follower = subprocess.Popen([str(proxy_binary), "captures", "tail", "-f", "--dir", str(directory)],
                                        stdout=subprocess.PIPE, text=True)
            time.sleep(1)
            go.touch()
            assert writer.wait(timeout=30) == 0
            deadline = time.time() + 10
            seen = []
            os.set_blocking(follower.stdout.fileno(), False)
            while time.time() < deadline and not any("after-follow" in l for l in seen):
                line = follower.stdout.readline()
                if line:
                    seen.append(line)
                else:
                    time.sleep(0.05)
            assert any("after-follow" in l for l in seen), seen
        finally:
            for p in (writer, follower):
                if p and p.poll() is None:
                    p.kill()
                    p.wait()


def test_bad_input_gets_clear_errors(proxy_binary):
    with private_dir() as d:
        directory = d / "captures"
        make_capture(directory)
        r = run(proxy_binary, "captures", "show", "9.9", "--dir", directory, check=False)
        assert r.returncode == 1 and "no RPC '9.9'" in r.stderr
        r = run(proxy_binary, "captures", "list", "--dir", d / "missing", check=False)
        assert r.returncode == 1 and "cannot read capture directory" in r.stderr
        r = run(proxy_binary, "captures", "export", "--dir", directory, check=False)
        assert r.returncode == 2 and "--har" in r.stderr
        r = run(proxy_binary, "captures", "frob", check=False)
        assert r.returncode == 2 and "unknown subcommand" in r.stderr
        r = run(proxy_binary, "captures", "show", "--dir", directory, check=False)
        assert r.returncode == 2


def test_status_reads_the_control_socket(proxy_binary):
    with private_dir() as d:
        sock = d / "control.sock"
        go = d / "go"
        events = [open_conn(1)] + chat_rpc(1, 1, ["a"], ["b"]) + [{"event": "wait_file", "path": str(go)}]
        script = "".join(json.dumps(e) + "\n" for e in events)
        writer = subprocess.Popen([str(FEED), "--capture-dir", str(d / "captures"), "--status-socket", str(sock)],
                                  stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            writer.stdin.write(script)
            writer.stdin.close()
            deadline = time.time() + 20
            doc = None
            while time.time() < deadline:
                if sock.exists():
                    doc = json.loads(run(proxy_binary, "status", "--socket", sock, "--json").stdout)
                    if doc["counters"].get("capture.rpcs") == 1:
                        break
                time.sleep(0.1)
            assert doc is not None and doc["counters"]["capture.rpcs"] == 1
            assert stat.S_IMODE(sock.stat().st_mode) == 0o600
            assert doc["counters"]["rpcs.host.api2.cursor.sh"] == 1
            assert doc["counters"]["capture.dropped_events"] == 0
            assert doc["passthrough_hosts"] == ["feed.example"]
            human = run(proxy_binary, "status", "--socket", sock).stdout
            assert "RPCs per host" in human and "api2.cursor.sh" in human
            assert "dropped_events" in human and "feed.example" in human
        finally:
            go.touch()
            writer.wait(timeout=30)
        r = run(proxy_binary, "status", "--socket", sock, check=False)
        assert r.returncode == 1 and "is 'cursor-proxy run' running" in r.stderr


def test_capture_raw_stores_payloads_beside_the_log_with_tokens_masked(proxy_binary):
    with private_dir() as d:
        directory = d / "captures"
        events = [open_conn(1)] + chat_rpc(1, 1, ["hello", "token " + TOKEN[:100]], ["ok"])
        feed(events, "--capture-dir", directory, "--capture-raw")
        shown = json.loads(run(proxy_binary, "captures", "show", "1.1", "--dir", directory, "--json").stdout)
        first, second = [m for m in shown["messages"] if m["dir"] == "request"]
        raw = directory / first["raw"]["file"]
        assert raw.suffix == ".raw" and stat.S_IMODE(raw.stat().st_mode) == 0o600
        data = raw.read_bytes()
        assert data[first["raw"]["offset"]:][:first["raw"]["length"]] == pb_string(1, "hello")
        masked = data[second["raw"]["offset"]:][:second["raw"]["length"]]
        assert len(masked) == len(pb_string(1, "token " + TOKEN[:100]))
        assert b"eyJ" not in masked and b"*" * 20 in masked
        assert TOKEN[:100].encode() not in all_bytes(directory)


def test_a_hand_edited_capture_with_odd_header_values_still_shows(proxy_binary):
    with private_dir() as d:
        directory = d / "captures"
        make_capture(directory)
        for path in directory.glob("*.jsonl"):
            edited = []
            for text in path.read_text().splitlines():
                line = json.loads(text)
                if line["type"] == "request":
                    line["headers"].append(["x-count", 3])
                    line["headers"].append([7, None])
                if line["type"] == "response":
                    line["headers"] = {"not": "a list"}
                edited.append(json.dumps(line))
            path.write_text("\n".join(edited) + "\n")
        human = run(proxy_binary, "captures", "show", "1.1", "--dir", directory).stdout
        assert "    x-count: 3\n" in human and "    7: null\n" in human
        har = json.loads(run(proxy_binary, "captures", "export", "--har", "-", "--dir", directory).stdout)
        first = har["log"]["entries"][0]
        assert {"name": "x-count", "value": "3"} in first["request"]["headers"]
        assert first["response"]["headers"] == []
