#pragma once
// Keeps credentials off the disk. A redacted value becomes
// "[redacted sha256:<first 12 hex digits>]", so two requests that share a
// token can still be seen to share it without the token being recoverable.
#include "observer/observer.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cursor_proxy::capture {

std::string redaction_marker(std::string_view secret);

class Redactor {
public:
    // names: lower-case header names to redact. enabled=false: pass all through.
    Redactor(bool enabled, std::vector<std::string> names);

    bool enabled() const { return enabled_; }
    bool is_secret_header(std::string_view name) const;
    // Header values: secret headers become a marker; ":path" goes through
    // request_target(); tokens inside any other value are replaced.
    observer::Headers headers(const observer::Headers& in) const;
    // A request target ("/p?a=1&access_token=x"), each query parameter
    // judged percent-decoded: the value of one named like a credential
    // (is_secret_parameter) becomes a marker ("[redacted]" when shorter than
    // 16 bytes, where a hash could be reversed by trying every value), and so
    // does a value holding a token, and a Connect GET's "message" (recorded
    // decoded on its own). Tokens in the path are replaced as in headers.
    std::string request_target(std::string_view target) const;
    // Replaces JSON Web Tokens and "Bearer <token>" inside every string of a
    // decoded body (Cursor passes its access token in some request bodies).
    void scrub(nlohmann::json& decoded) const;
    // Same tokens in raw bytes, overwritten with '*' of the same length so
    // envelope and protobuf lengths stay valid.
    void scrub_raw(std::span<std::uint8_t> bytes) const;

private:
    bool enabled_;
    std::vector<std::string> names_;
};

// Query parameter names that carry credentials: token, key, sig, code, ...
// and any name containing token, secret, password, signature, credential,
// apikey or session (case-insensitive). Exposed for tests.
bool is_secret_parameter(std::string_view name);

// Byte ranges [begin, end) of JWT-looking tokens (three base64url parts,
// the first starting with "eyJ") in text. Exposed for tests.
std::vector<std::pair<std::size_t, std::size_t>> find_tokens(std::string_view text);

}  // namespace cursor_proxy::capture
