#include "capture/capture_config.hpp"
#include "capture/redaction.hpp"

#include <catch2/catch.hpp>

using namespace cursor_proxy::capture;

namespace {
const std::string kJwt =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1c2VyXzEyMyIsImV4cCI6MTcwMDAwMDAwMH0.c2lnbmF0dXJlLWJ5dGVz";
}

TEST_CASE("redacted header values become a marker with a short hash") {
    Redactor r(true, default_redacted_headers());
    const auto out = r.headers({{":path", "/x"}, {"authorization", "Bearer " + kJwt}, {"Cookie", "a=b"},
                                {"x-cursor-checksum", "abc"}, {"x-client-key", "k"}, {"content-type", "application/proto"}});
    CHECK(out[0].value == "/x");
    CHECK(out[1].value == redaction_marker("Bearer " + kJwt));
    CHECK(out[1].value.rfind("[redacted sha256:", 0) == 0);
    CHECK(out[1].value.size() == std::string("[redacted sha256:]").size() + 12);
    CHECK(out[2].value.rfind("[redacted sha256:", 0) == 0);  // header names compare case-insensitively
    CHECK(out[3].value == redaction_marker("abc"));
    CHECK(out[4].value == redaction_marker("k"));
    CHECK(out[5].value == "application/proto");
}

TEST_CASE("equal secrets give equal markers, different secrets different ones") {
    CHECK(redaction_marker("token-a") == redaction_marker("token-a"));
    CHECK(redaction_marker("token-a") != redaction_marker("token-b"));
}

TEST_CASE("configured header names are redacted too; disabled redaction passes values through") {
    auto names = default_redacted_headers();
    names.push_back("x-session-id");
    Redactor on(true, names);
    CHECK(on.headers({{"x-session-id", "s1"}})[0].value == redaction_marker("s1"));
    Redactor off(false, names);
    CHECK(off.headers({{"authorization", "Bearer x"}})[0].value == "Bearer x");
}

TEST_CASE("tokens inside decoded bodies are scrubbed, other strings kept") {
    Redactor r(true, default_redacted_headers());
    nlohmann::json body = {{"1", {{"accessToken", kJwt}, {"note", "hello eyJ not a token"}}},
                           {"list", {"auth: Bearer abcdefghijklmnopqrstuvwxyz", 42}}};
    r.scrub(body);
    const std::string text = body.dump();
    CHECK(text.find(kJwt) == std::string::npos);
    CHECK(text.find("abcdefghijklmnopqrstuvwxyz") == std::string::npos);
    CHECK(body["1"]["accessToken"] == redaction_marker(kJwt));
    CHECK(body["1"]["note"] == "hello eyJ not a token");
    CHECK(body["list"][1] == 42);
}

TEST_CASE("tokens in raw bytes are overwritten in place, keeping the length") {
    Redactor r(true, default_redacted_headers());
    std::string payload = "\x0a\x80\x01" + kJwt + "\x10\x01";
    std::vector<std::uint8_t> bytes(payload.begin(), payload.end());
    r.scrub_raw(bytes);
    REQUIRE(bytes.size() == payload.size());
    const std::string after(bytes.begin(), bytes.end());
    CHECK(after.find("eyJ") == std::string::npos);
    CHECK(after.substr(0, 3) == payload.substr(0, 3));
    CHECK(after.substr(after.size() - 2) == "\x10\x01");
}

TEST_CASE("find_tokens ignores short or malformed look-alikes") {
    CHECK(find_tokens("eyJabc.eyJdef.ghi").empty());       // parts too short
    CHECK(find_tokens("xeyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig").empty());  // inside a longer word
    CHECK(find_tokens("eyJhbGciOiJIUzI1NiJ9 no dots").empty());
    CHECK(find_tokens("a " + kJwt + " b").size() == 1);
}

TEST_CASE("credential query parameters in the request target become markers, others stay") {
    Redactor r(true, default_redacted_headers());
    const std::string long_token = "opaque-access-token-0123456789";
    CHECK(r.request_target("/aiserver.v1.ChatService/StreamChat") == "/aiserver.v1.ChatService/StreamChat");
    CHECK(r.request_target("/auth/poll?uuid=42&verifier=v&access_token=" + long_token + "&page=2") ==
          "/auth/poll?uuid=42&verifier=v&access_token=" + redaction_marker(long_token) + "&page=2");
    // Short values get no hash: every 6-digit code hashed would find it again.
    CHECK(r.request_target("/x?Key=abc&sig=s1&X-Amz-Signature=f00&X-Amz-Credential=AKIA/1&code=c&otp=123456") ==
          "/x?Key=[redacted]&sig=[redacted]&X-Amz-Signature=[redacted]&X-Amz-Credential=[redacted]&code=[redacted]"
          "&otp=[redacted]");
    // A JWT under any parameter name, or in the path itself, is replaced too.
    CHECK(r.request_target("/v?state=" + kJwt) == "/v?state=" + redaction_marker(kJwt));
    CHECK(r.request_target("/t/" + kJwt + "/x") == "/t/" + redaction_marker(kJwt) + "/x");
    // Empty values, bare names and a trailing '?' are left as they are.
    CHECK(r.request_target("/x?token=&flag&") == "/x?token=&flag&");
    CHECK(r.request_target("/x?") == "/x?");
    Redactor off(false, default_redacted_headers());
    CHECK(off.request_target("/x?token=t") == "/x?token=t");
}

TEST_CASE("query parameters are judged percent-decoded") {
    Redactor r(true, default_redacted_headers());
    // A JWT inside an encoded redirect URL: the escapes hid it from a raw scan.
    const std::string redirect = "https%3A%2F%2Fapp%2Fcb%3Fid_token%3D" + kJwt;
    CHECK(r.request_target("/login?redirect=" + redirect + "&x=1") ==
          "/login?redirect=" + redaction_marker("https://app/cb?id_token=" + kJwt) + "&x=1");
    // An encoded name is still the name.
    CHECK(r.request_target("/x?%74oken=abcdefghijklmnopq") == "/x?%74oken=" + redaction_marker("abcdefghijklmnopq"));
    // JSON in clear, as a Connect GET with encoding=json sends it.
    CHECK(r.request_target("/p.S/M?encoding=json&message=%7B%22t%22%3A%22" + kJwt + "%22%7D").find(kJwt) ==
          std::string::npos);
}

TEST_CASE("a Connect GET's message parameter is not kept in the URL") {
    Redactor r(true, default_redacted_headers());
    const std::string message = "CgkKB2hpIHRoZXJlEgZzZWNyZXQ";  // base64url protobuf: anything could be inside
    CHECK(r.request_target("/p.S/M?connect=v1&encoding=proto&base64=1&message=" + message) ==
          "/p.S/M?connect=v1&encoding=proto&base64=1&message=" + redaction_marker(message));
    CHECK(r.request_target("/search?message=hello") == "/search?message=hello");  // not a Connect GET
}

TEST_CASE("the :path header goes through the request target redaction") {
    Redactor r(true, default_redacted_headers());
    const auto out = r.headers({{":path", "/cb?refresh_token=r1"}, {"x-note", "refresh_token=r1"}});
    CHECK(out[0].value == "/cb?refresh_token=[redacted]");
    CHECK(out[1].value == "refresh_token=r1");  // not a URL: only tokens would be replaced
}

TEST_CASE("secret parameter names") {
    for (const char* name : {"token", "access_token", "id_token", "refreshToken", "api_key", "apikey", "API-KEY",
                             "client_secret", "password", "X-Goog-Signature", "X-Amz-Security-Token", "sessionId",
                             "key", "sig", "code", "auth", "jwt"}) {
        INFO(name);
        CHECK(is_secret_parameter(name));
    }
    for (const char* name : {"uuid", "page", "model", "keyboard", "signal", "codec", "author", "q", ""}) {
        INFO(name);
        CHECK_FALSE(is_secret_parameter(name));
    }
}
