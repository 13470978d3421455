#include "capture/redaction.hpp"

#include "text/ascii.hpp"
#include "text/percent_decode.hpp"
#include "text/query_string.hpp"

#include <openssl/sha.h>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace cursor_proxy::capture {
namespace {

bool is_base64url(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_';
}

// Length of a run of base64url characters starting at pos.
std::size_t run_length(std::string_view text, std::size_t pos) {
    std::size_t n = 0;
    while (pos + n < text.size() && is_base64url(text[pos + n])) ++n;
    return n;
}

using text::iequals;

// A JWT's header and payload are at least a short JSON object each.
constexpr std::size_t kMinJwtPart = 10;

std::string replace_tokens(std::string_view text) {
    std::string out;
    std::size_t copied = 0;
    for (auto [begin, end] : find_tokens(text)) {
        out.append(text.substr(copied, begin - copied));
        out += redaction_marker(text.substr(begin, end - begin));
        copied = end;
    }
    if (copied == 0) return std::string(text);
    out.append(text.substr(copied));
    return out;
}

}  // namespace

bool is_secret_parameter(std::string_view name) {
    static constexpr std::string_view kExact[] = {"key", "sig", "code", "pwd", "auth", "jwt", "pass", "otp"};
    static constexpr std::string_view kContained[] = {"token",      "secret", "password", "passwd", "signature",
                                                      "credential", "apikey", "api_key",  "api-key", "session",
                                                      "authorization"};
    const std::string lower = text::lower(name);
    for (auto exact : kExact) {
        if (lower == exact) return true;
    }
    for (auto part : kContained) {
        if (lower.find(part) != std::string::npos) return true;
    }
    return false;
}

std::string redaction_marker(std::string_view secret) {
    std::uint8_t digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const std::uint8_t*>(secret.data()), secret.size(), digest);
    std::string hex;
    for (int i = 0; i < 6; ++i) hex += fmt::format("{:02x}", digest[i]);
    return fmt::format("[redacted sha256:{}]", hex);
}

std::vector<std::pair<std::size_t, std::size_t>> find_tokens(std::string_view text) {
    std::vector<std::pair<std::size_t, std::size_t>> found;
    // The next "bearer " at or after `from` (case-insensitive), cached so a
    // long body is scanned once.
    auto next_bearer = [&](std::size_t from) {
        for (std::size_t i = from; i + 7 <= text.size(); ++i) {
            if (iequals(text.substr(i, 7), "bearer ")) return i;
        }
        return std::string_view::npos;
    };
    std::size_t pos = 0;
    std::size_t bearer = next_bearer(0);
    while (pos < text.size()) {
        const std::size_t jwt = text.find("eyJ", pos);
        if (bearer != std::string_view::npos && bearer < pos) bearer = next_bearer(pos);
        if (bearer != std::string_view::npos && (jwt == std::string_view::npos || bearer < jwt)) {
            // "Bearer <opaque token>": the token is whatever follows, up to a
            // space or quote; only long enough values count as secrets.
            const std::size_t start = bearer + 7;
            std::size_t end = start;
            while (end < text.size() && text[end] != ' ' && text[end] != '"' && text[end] != '\'' &&
                   text[end] != ',' && static_cast<unsigned char>(text[end]) > 0x20) {
                ++end;
            }
            if (end - start >= 16) found.emplace_back(start, end);
            pos = std::max(end, bearer + 1);
            continue;
        }
        if (jwt == std::string_view::npos) break;
        if (jwt > 0 && is_base64url(text[jwt - 1])) { pos = jwt + 1; continue; }
        const std::size_t header = run_length(text, jwt);
        std::size_t end = jwt + header;
        bool ok = header >= kMinJwtPart && end < text.size() && text[end] == '.';
        if (ok) {
            const std::size_t payload = run_length(text, end + 1);
            end += 1 + payload;
            ok = payload >= kMinJwtPart && end < text.size() && text[end] == '.';
            if (ok) end += 1 + run_length(text, end + 1);  // signature may be empty (alg none)
        }
        if (ok) found.emplace_back(jwt, end);
        pos = ok ? end : jwt + 1;
    }
    return found;
}

Redactor::Redactor(bool enabled, std::vector<std::string> names) : enabled_(enabled), names_(std::move(names)) {}

bool Redactor::is_secret_header(std::string_view name) const {
    if (!enabled_) return false;
    return std::any_of(names_.begin(), names_.end(), [&](const std::string& n) { return iequals(n, name); });
}

observer::Headers Redactor::headers(const observer::Headers& in) const {
    observer::Headers out = in;
    if (!enabled_) return out;
    for (observer::Header& h : out) {
        if (is_secret_header(h.name)) h.value = redaction_marker(h.value);
        else if (h.name == ":path") h.value = request_target(h.value);
        else h.value = replace_tokens(h.value);
    }
    return out;
}

namespace {

// Short values (a one-time code, a PIN) would be found again by hashing every
// candidate: they get no hash.
std::string query_marker(std::string_view value) {
    return value.size() < 16 ? std::string("[redacted]") : redaction_marker(value);
}

}  // namespace

std::string Redactor::request_target(std::string_view target) const {
    if (!enabled_) return std::string(target);
    const std::size_t question = target.find('?');
    std::string out = replace_tokens(target.substr(0, question));
    if (question == std::string_view::npos) return out;
    const std::string_view query = target.substr(question + 1);
    // Names and values are judged decoded: "%74oken=" is token=, and a JWT
    // may hide behind %22 or %3D.
    const auto decoded = [](std::string_view text) { return text::percent_decode(text).value_or(std::string(text)); };
    const auto parameters = text::split_query(query);
    std::vector<std::string> names;
    for (const auto& p : parameters) names.push_back(decoded(p.name));
    // A Connect GET's message is recorded decoded (and scrubbed) on its own;
    // here it would only be a second, unscrubbed copy.
    const auto named = [&](std::string_view name) { return std::find(names.begin(), names.end(), name) != names.end(); };
    const bool connect_get = named("message") && named("encoding");
    out += '?';
    for (std::size_t i = 0; i < parameters.size(); ++i) {
        const text::QueryParameter& p = parameters[i];
        if (i > 0) out += '&';
        const std::string& name = names[i];
        const std::string value = decoded(p.value);
        if (!p.value.empty() && (is_secret_parameter(name) || (connect_get && name == "message"))) {
            out.append(p.name);
            out += '=' + query_marker(value);
        } else if (!p.value.empty() && !find_tokens(value).empty()) {
            out.append(p.name);
            out += '=' + redaction_marker(value);
        } else {
            out += replace_tokens(p.raw);
        }
    }
    if (query.ends_with('&')) out += '&';  // split_query drops a trailing '&'
    return out;
}

void Redactor::scrub(nlohmann::json& decoded) const {
    if (!enabled_) return;
    if (decoded.is_string()) {
        const auto& text = decoded.get_ref<const std::string&>();
        std::string replaced = replace_tokens(text);
        if (replaced != text) decoded = std::move(replaced);
    } else if (decoded.is_structured()) {
        for (auto& item : decoded) scrub(item);
    }
}

void Redactor::scrub_raw(std::span<std::uint8_t> bytes) const {
    if (!enabled_) return;
    std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    for (auto [begin, end] : find_tokens(text)) {
        std::fill(bytes.begin() + static_cast<std::ptrdiff_t>(begin), bytes.begin() + static_cast<std::ptrdiff_t>(end), '*');
    }
}

}  // namespace cursor_proxy::capture
