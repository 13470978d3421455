#include "http1/parser.hpp"

#include <catch2/catch.hpp>

#include <deque>
#include <string>
#include <vector>

using namespace cursor_proxy::http1;
using Transcript = std::vector<std::string>;

namespace {

std::span<const std::uint8_t> bytes(const std::string& s) {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// Feeds the pieces one after another the way the relay does (unconsumed bytes
// are shown again with the next piece) and writes down what the parser saw.
// Body bytes are joined, so a transcript does not depend on where input splits.
struct Run {
    MessageKind kind = MessageKind::request;
    ParserLimits limits{};
    std::deque<std::string> methods{};  // responses: methods of the requests answered
    bool eof = false;

    Transcript operator()(const std::vector<std::string>& pieces) {
        Parser parser(kind, limits);
        Transcript out;
        std::string buffered, body;
        auto flush_body = [&] {
            if (!body.empty()) out.push_back("body:" + body);
            body.clear();
        };
        auto record = [&](const Event& e) {
            if (e.type != EventType::body && e.type != EventType::need_more) flush_body();
            switch (e.type) {
            case EventType::need_more: break;
            case EventType::head: {
                const auto& h = parser.head();
                out.push_back(kind == MessageKind::request ? "head:" + h.method + " " + h.target
                                                           : "head:" + std::to_string(h.status));
                if (kind == MessageKind::response && !h.interim && !methods.empty()) methods.pop_front();
                break;
            }
            case EventType::body: body.append(reinterpret_cast<const char*>(e.body.data()), e.body.size()); break;
            case EventType::trailers: {
                std::string t = "trailers:";
                for (const auto& f : parser.trailers()) t += f.name + "=" + f.value + ";";
                out.push_back(t);
                break;
            }
            case EventType::message_end: out.push_back("end"); break;
            case EventType::error: out.push_back("error:" + e.error); break;
            }
        };
        for (const auto& piece : pieces) {
            buffered += piece;
            for (;;) {
                if (parser.between_messages() && !methods.empty()) parser.expect_response_to(methods.front());
                Event e = parser.next(bytes(buffered));
                REQUIRE(e.consumed <= buffered.size());
                if (e.type == EventType::body) {
                    REQUIRE(e.body.data() >= bytes(buffered).data());
                    REQUIRE(e.body.data() + e.body.size() <= bytes(buffered).data() + e.consumed);
                }
                record(e);
                buffered.erase(0, e.consumed);
                if (e.type == EventType::error) return out;
                if (e.type == EventType::need_more) break;
            }
        }
        if (eof) record(parser.end_of_input());
        flush_body();
        return out;
    }
    Transcript operator()(const std::string& whole) { return (*this)(std::vector<std::string>{whole}); }
};

std::string last_error(const Transcript& t) { return t.empty() || t.back().rfind("error:", 0) != 0 ? "" : t.back(); }

const std::string chunked_request =
    "POST /upload HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\n\r\n"
    "5;name=value\r\nhello\r\n"
    "6 ; quoted=\"a b\"\r\n world\r\n"
    "0\r\nX-Checksum: abc\r\nGrpc-Status: 0\r\n\r\n";

const std::string pipelined =
    "GET /one HTTP/1.1\r\nHost: a.test\r\n\r\n"
    "POST /two HTTP/1.1\r\nHost: a.test\r\nContent-Length: 4\r\n\r\nbody"
    "\r\n"  // a stray empty line between requests is allowed
    "GET /three HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n";

}  // namespace

TEST_CASE("a GET with no body") {
    CHECK(Run{}("GET /index.html?q=1 HTTP/1.1\r\nHost: a.test\r\nAccept: */*\r\n\r\n") ==
          Transcript{"head:GET /index.html?q=1", "end"});
}

TEST_CASE("fields are kept in order, names as received, values trimmed") {
    Parser p(MessageKind::request);
    std::string in = "GET / HTTP/1.1\r\nHost:  a.test \r\nX-Thing:\tone, two\r\nx-thing: three\r\nEmpty:\r\n\r\n";
    REQUIRE(p.next(bytes(in)).type == EventType::head);
    const auto& f = p.head().fields;
    REQUIRE(f.size() == 4);
    CHECK(f[0].name == "Host");
    CHECK(f[0].value == "a.test");
    CHECK(f[1].name == "X-Thing");
    CHECK(f[1].value == "one, two");
    CHECK(f[2].value == "three");
    CHECK(f[3].value.empty());
    CHECK(p.head().field("x-THING") == "one, two");
    CHECK(p.head().version_minor == 1);
    CHECK(p.head().keep_alive);
}

TEST_CASE("content-length body") {
    CHECK(Run{}("PUT /x HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello world") ==
          Transcript{"head:PUT /x", "body:hello world", "end"});
    CHECK(Run{}("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n") == Transcript{"head:POST /x", "end"});
    CHECK(Run{}("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 3\r\nContent-Length: 3\r\n\r\nabc") ==
          Transcript{"head:POST /x", "body:abc", "end"});
}

TEST_CASE("chunked with extensions and trailers") {
    CHECK(Run{}(chunked_request) ==
          Transcript{"head:POST /upload", "body:hello world", "trailers:X-Checksum=abc;Grpc-Status=0;", "end"});
    CHECK(Run{}("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\nA\r\n0123456789\r\n0\r\n\r\n") ==
          Transcript{"head:POST /", "body:0123456789", "end"});
}

TEST_CASE("pipelined requests come out in order") {
    CHECK(Run{}(pipelined) == Transcript{"head:GET /one", "end", "head:POST /two", "body:body", "end",
                                         "head:GET /three", "end"});
}

TEST_CASE("split at every byte boundary, and byte by byte, gives the same transcript") {
    std::vector<std::pair<MessageKind, std::string>> samples = {
        {MessageKind::request, chunked_request},
        {MessageKind::request, pipelined},
        {MessageKind::response, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nT: v\r\n\r\n"
                                "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n"
                                "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"},
    };
    for (const auto& [kind, text] : samples) {
        Run run{kind, {}, {"GET", "POST", "GET"}, false};
        Transcript whole = run(text);
        REQUIRE(last_error(whole).empty());
        for (std::size_t i = 1; i < text.size(); ++i) {
            Run split{kind, {}, {"GET", "POST", "GET"}, false};
            INFO("split at " << i);
            REQUIRE(split({text.substr(0, i), text.substr(i)}) == whole);
        }
        std::vector<std::string> single_bytes;
        for (char c : text) single_bytes.emplace_back(1, c);
        Run bytewise{kind, {}, {"GET", "POST", "GET"}, false};
        CHECK(bytewise(single_bytes) == whole);
    }
}

TEST_CASE("responses: framing depends on status and request method") {
    Run head{MessageKind::response, {}, {"HEAD", "GET"}, false};
    CHECK(head("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok") ==
          Transcript{"head:200", "end", "head:200", "body:ok", "end"});
    Run no_body{MessageKind::response, {}, {"GET", "GET"}, false};
    CHECK(no_body("HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n") ==
          Transcript{"head:204", "end", "head:304", "end"});
    Run interim{MessageKind::response, {}, {"POST"}, false};
    CHECK(interim("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n") ==
          Transcript{"head:100", "end", "head:201", "end"});
    Run until_close{MessageKind::response, {}, {"GET"}, true};
    CHECK(until_close("HTTP/1.0 200 OK\r\n\r\nall of this until the end") ==
          Transcript{"head:200", "body:all of this until the end", "end"});
    Run status_only{MessageKind::response, {}, {"GET"}, false};
    CHECK(status_only("HTTP/1.1 404\r\nContent-Length: 0\r\n\r\n") == Transcript{"head:404", "end"});
}

TEST_CASE("101 Switching Protocols ends HTTP on the connection") {
    Parser p(MessageKind::response);
    p.expect_response_to("GET");
    std::string in = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n";
    auto e = p.next(bytes(in));
    REQUIRE(e.type == EventType::head);
    CHECK(p.head().switches_protocol);
    CHECK(p.next({}).type == EventType::message_end);
    CHECK(p.switched_protocol());
    std::string frame = "\x81\x05hello";
    CHECK(p.next(bytes(frame)).type == EventType::error);

    Parser connect(MessageKind::response);
    connect.expect_response_to("CONNECT");
    std::string ok = "HTTP/1.1 200 Connection established\r\n\r\n";
    REQUIRE(connect.next(bytes(ok)).type == EventType::head);
    CHECK(connect.head().switches_protocol);
}

TEST_CASE("request flags: keep-alive by version and Connection, upgrade, expect") {
    auto head_of = [](const std::string& text) {
        Parser p(MessageKind::request);
        auto e = p.next(bytes(text));
        REQUIRE(e.type == EventType::head);
        return p.head();
    };
    CHECK_FALSE(head_of("GET / HTTP/1.0\r\n\r\n").keep_alive);
    CHECK(head_of("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").keep_alive);
    CHECK_FALSE(head_of("GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, close\r\n\r\n").keep_alive);
    CHECK(head_of("GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n").upgrade);
    CHECK_FALSE(head_of("GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\r\n").upgrade);
    CHECK(head_of("CONNECT a.test:443 HTTP/1.1\r\nHost: a.test:443\r\n\r\n").upgrade);
}

TEST_CASE("bad input: each case is an error that says what is wrong") {
    ParserLimits small;
    small.max_header_bytes = 256;
    small.max_fields = 4;
    small.max_chunk_line_bytes = 32;
    const std::string big(300, 'x');
    struct Case {
        std::string input;
        std::string expected;
        MessageKind kind = MessageKind::request;
    };
    std::vector<Case> cases = {
        {"GET / HTTP/1.1\r\nHost: a\r\nX: " + big + "\r\n\r\n", "head larger than 256 bytes"},
        {"GET / HTTP/1.1\r\nHost: a\r\nX: " + big, "head larger than 256 bytes"},  // no end in sight
        {"GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n", "more than 4 field lines"},
        {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "invalid chunk size line"},
        {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n", "invalid chunk size line"},
        {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0x10\r\n", "invalid characters after the chunk size"},
        {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1000000000000000\r\n", "chunk size too large"},
        {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcd\r\n", "chunk data not followed by CRLF"},
        {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3;" + std::string(40, 'e') + "\r\n", "chunk size line longer than 32"},
        {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc", "chunk size line ends in a bare LF"},
        {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3;a\x01\r\n", "control character in a chunk extension"},
        {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nT : v\r\n\r\n", "bad trailer: invalid field name"},
        {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", "conflicting Content-Length values 5 and 6"},
        {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 6\r\n\r\n", "conflicting Content-Length values 5 and 6"},
        {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", "invalid Content-Length '-1'"},
        {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\n", "invalid Content-Length '+5'"},
        {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n", "invalid Content-Length"},
        {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n", "empty Content-Length"},
        {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", "both Transfer-Encoding and Content-Length"},
        {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", "does not end in chunked"},
        {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", "chunked before another coding"},
        {"GET / HTTP/1.1\r\nHost: a\r\nX-Long: one\r\n two\r\n\r\n", "obsolete line folding"},
        {"GET / HTTP/1.1\r\nHost: a\r\nX: 1\n\r\n", "bare LF"},
        {"GET / HTTP/1.1\nHost: a\n\n", "bare LF"},
        {"GET / HTTP/1.1\r\nHost : a\r\n\r\n", "invalid field name 'Host '"},
        {"GET / HTTP/1.1\r\nNoColon\r\n\r\n", "field line without a colon"},
        {"GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n", "control character in the value of field 'Host'"},
        {std::string("GET / HTTP/1.1\r\nHost: a\0b\r\n\r\n", 30), "control character in the value of field 'Host'"},
        {"GET / HTTP/1.1\r\n\r\n", "HTTP/1.1 request without a Host field"},
        {"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", "more than one Host field"},
        {"GET / HTTP/2.0\r\nHost: a\r\n\r\n", "unsupported version HTTP/2.0"},
        {"GET / HTTP/1.1 extra\r\nHost: a\r\n\r\n", "malformed request line"},
        {"GET  / HTTP/1.1\r\nHost: a\r\n\r\n", "malformed request line"},
        {"G(T / HTTP/1.1\r\nHost: a\r\n\r\n", "invalid method 'G(T'"},
        {"GET / HTTX/1.1\r\nHost: a\r\n\r\n", "'HTTX/1.1' is not an HTTP version"},
        {"\x16\x03\x01\x02\x10\x01\x10\x01\xfc\x03\x03\r\n\r\n", "malformed request line"},
        {"HTTP/1.1 2000 OK\r\n\r\n", "malformed status line", MessageKind::response},
        {"HTTP/1.1 abc OK\r\n\r\n", "invalid status code 'abc'", MessageKind::response},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", "connection closed in the middle of a message", MessageKind::response},
    };
    for (const auto& c : cases) {
        Run run{c.kind, small, {"GET"}, true};
        auto t = run(c.input);
        INFO("input: " << c.input);
        INFO("transcript last: " << (t.empty() ? "" : t.back()));
        REQUIRE_FALSE(last_error(t).empty());
        CHECK(last_error(t).find(c.expected) != std::string::npos);
    }
}

TEST_CASE("after an error the parser stays failed") {
    Parser p(MessageKind::request);
    std::string bad = "GET / HTTP/1.1\nHost: a\n\n";
    CHECK(p.next(bytes(bad)).type == EventType::error);
    std::string good = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
    auto e = p.next(bytes(good));
    CHECK(e.type == EventType::error);
    CHECK(e.error.find("bare LF") != std::string::npos);
}

TEST_CASE("end of input between messages is clean; inside one is an error") {
    Parser p(MessageKind::request);
    std::string in = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
    REQUIRE(p.next(bytes(in)).type == EventType::head);
    REQUIRE(p.next({}).type == EventType::message_end);
    CHECK(p.end_of_input().type == EventType::need_more);

    Parser q(MessageKind::request);
    std::string partial = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc";
    REQUIRE(q.next(bytes(partial)).type == EventType::head);
    REQUIRE(q.next(bytes(partial).subspan(partial.size() - 3)).type == EventType::body);
    auto e = q.end_of_input();
    CHECK(e.type == EventType::error);
    CHECK(e.error == "connection closed in the middle of a message");
}
