#include "http1/head_parser.hpp"
#include "text/ascii.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <limits>

namespace cursor_proxy::http1 {

using text::iequals;

namespace {

using Error = std::optional<std::string>;

// RFC 9110 5.6.2 tchar.
bool is_tchar(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_token(std::string_view s) { return !s.empty() && std::all_of(s.begin(), s.end(), is_tchar); }

// Field values: VCHAR, obs-text, SP and HTAB; no CTLs (NUL, CR, LF, DEL...).
bool is_field_value_char(char c) {
    auto u = static_cast<unsigned char>(c);
    return u == '\t' || (u >= 0x20 && u != 0x7f);
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

std::string printable(std::string_view s) {
    std::string out;
    for (char c : s.substr(0, 80)) {
        auto u = static_cast<unsigned char>(c);
        out += (u >= 0x20 && u < 0x7f) ? std::string(1, c) : fmt::format("\\x{:02x}", u);
    }
    return out;
}

// Splits off the first CRLF-terminated line; the text always ends in CRLF.
std::string_view take_line(std::string_view& text) {
    auto end = text.find("\r\n");
    auto line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 2);
    return line;
}

Error parse_version(std::string_view v, int& minor) {
    if (v.size() != 8 || v.substr(0, 5) != "HTTP/" || v[6] != '.' || !std::isdigit(static_cast<unsigned char>(v[5])) ||
        !std::isdigit(static_cast<unsigned char>(v[7])))
        return fmt::format("'{}' is not an HTTP version", printable(v));
    if (v[5] != '1' || (v[7] != '0' && v[7] != '1')) return fmt::format("unsupported version {}", v);
    minor = v[7] - '0';
    return std::nullopt;
}

// Calls fn(token) for each comma-separated element, skipping empty ones.
template <typename Fn>
void for_each_element(std::string_view list, Fn fn) {
    while (!list.empty()) {
        auto comma = list.find(',');
        auto element = trim(list.substr(0, comma));
        if (!element.empty()) fn(element);
        list.remove_prefix(comma == std::string_view::npos ? list.size() : comma + 1);
    }
}

bool list_has(const MessageHead& head, std::string_view name, std::string_view token) {
    bool found = false;
    for (const auto& f : head.fields) {
        if (!iequals(f.name, name)) continue;
        for_each_element(f.value, [&](std::string_view e) { found = found || iequals(e, token); });
    }
    return found;
}

// Content-Length: every occurrence (and every list element) must agree.
Error parse_content_length(const MessageHead& head, std::optional<std::uint64_t>& length) {
    Error error;
    for (const auto& f : head.fields) {
        if (!iequals(f.name, "content-length")) continue;
        if (trim(f.value).empty()) return std::string("empty Content-Length");
        for_each_element(f.value, [&](std::string_view e) {
            if (error) return;
            std::uint64_t value = 0;
            for (char c : e) {
                if (!std::isdigit(static_cast<unsigned char>(c)) || value > std::numeric_limits<std::uint64_t>::max() / 20) {
                    error = fmt::format("invalid Content-Length '{}'", printable(e));
                    return;
                }
                value = value * 10 + static_cast<std::uint64_t>(c - '0');
            }
            if (length && *length != value)
                error = fmt::format("conflicting Content-Length values {} and {}", *length, value);
            length = value;
        });
        if (error) return error;
    }
    return std::nullopt;
}

// Transfer-Encoding: returns whether the last coding is chunked; chunked
// anywhere but last is an error.
Error parse_transfer_encoding(const MessageHead& head, bool& present, bool& chunked_last) {
    std::vector<std::string_view> codings;
    for (const auto& f : head.fields) {
        if (!iequals(f.name, "transfer-encoding")) continue;
        present = true;
        for_each_element(f.value, [&](std::string_view e) { codings.push_back(e); });
    }
    if (present && codings.empty()) return std::string("empty Transfer-Encoding");
    for (std::size_t i = 0; i < codings.size(); ++i) {
        if (iequals(codings[i], "chunked") && i + 1 != codings.size())
            return std::string("Transfer-Encoding applies chunked before another coding");
    }
    chunked_last = !codings.empty() && iequals(codings.back(), "chunked");
    return std::nullopt;
}

void decide_keep_alive(MessageHead& head) {
    if (list_has(head, "connection", "close")) head.keep_alive = false;
    else if (head.version_minor == 0) head.keep_alive = list_has(head, "connection", "keep-alive");
    else head.keep_alive = true;
}

}  // namespace

std::string_view MessageHead::field(std::string_view name) const {
    for (const auto& f : fields) {
        if (iequals(f.name, name)) return f.value;
    }
    return {};
}

std::optional<std::string> parse_field_lines(std::string_view text, const ParserLimits& limits,
                                             observer::Headers& out) {
    while (!text.empty()) {
        auto line = take_line(text);
        if (line.empty()) return std::string("empty line inside the field section");
        if (line.front() == ' ' || line.front() == '\t')
            return fmt::format("obsolete line folding (a field line starting with whitespace): '{}'", printable(line));
        auto colon = line.find(':');
        if (colon == std::string_view::npos) return fmt::format("field line without a colon: '{}'", printable(line));
        auto name = line.substr(0, colon);
        if (!is_token(name)) return fmt::format("invalid field name '{}'", printable(name));
        auto value = trim(line.substr(colon + 1));
        if (!std::all_of(value.begin(), value.end(), is_field_value_char))
            return fmt::format("control character in the value of field '{}'", name);
        if (out.size() >= limits.max_fields) return fmt::format("more than {} field lines", limits.max_fields);
        out.push_back({std::string(name), std::string(value)});
    }
    return std::nullopt;
}

std::optional<std::string> parse_request_head(std::string_view text, const ParserLimits& limits, MessageHead& out) {
    out = MessageHead{};
    auto line = take_line(text);
    // method SP request-target SP HTTP-version, exactly one space each.
    auto sp1 = line.find(' ');
    auto sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos)
        return fmt::format("malformed request line '{}'", printable(line));
    auto method = line.substr(0, sp1);
    auto target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    if (!is_token(method)) return fmt::format("invalid method '{}'", printable(method));
    if (target.empty() || !std::all_of(target.begin(), target.end(), [](char c) {
            auto u = static_cast<unsigned char>(c);
            return u > 0x20 && u < 0x7f;
        }))
        return fmt::format("invalid request target '{}'", printable(target));
    if (auto e = parse_version(line.substr(sp2 + 1), out.version_minor)) return e;
    out.method = std::string(method);
    out.target = std::string(target);
    if (auto e = parse_field_lines(text, limits, out.fields)) return e;

    std::size_t hosts = std::count_if(out.fields.begin(), out.fields.end(),
                                      [](const auto& f) { return iequals(f.name, "host"); });
    if (hosts > 1) return std::string("more than one Host field");
    if (hosts == 0 && out.version_minor == 1) return std::string("HTTP/1.1 request without a Host field");

    bool te_present = false, chunked = false;
    if (auto e = parse_transfer_encoding(out, te_present, chunked)) return e;
    std::optional<std::uint64_t> length;
    if (auto e = parse_content_length(out, length)) return e;
    if (te_present) {
        if (length) return std::string("request has both Transfer-Encoding and Content-Length");
        if (!chunked) return std::string("request Transfer-Encoding does not end in chunked");
        out.framing = BodyFraming::chunked;
    } else if (length) {
        out.framing = BodyFraming::content_length;
        out.content_length = *length;
    }
    decide_keep_alive(out);
    out.upgrade = out.method == "CONNECT" ||
                  (!out.field("upgrade").empty() && list_has(out, "connection", "upgrade"));
    return std::nullopt;
}

std::optional<std::string> parse_response_head(std::string_view text, std::string_view request_method,
                                               const ParserLimits& limits, MessageHead& out) {
    out = MessageHead{};
    auto line = take_line(text);
    // HTTP-version SP 3DIGIT SP reason-phrase (the last SP is often missing when the reason is empty).
    if (line.size() < 12 || line[8] != ' ' || (line.size() > 12 && line[12] != ' '))
        return fmt::format("malformed status line '{}'", printable(line));
    if (auto e = parse_version(line.substr(0, 8), out.version_minor)) return e;
    auto code = line.substr(9, 3);
    if (!std::all_of(code.begin(), code.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }) ||
        code[0] == '0')
        return fmt::format("invalid status code '{}'", printable(code));
    out.status = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
    auto reason = line.size() > 12 ? line.substr(13) : std::string_view{};
    if (!std::all_of(reason.begin(), reason.end(), is_field_value_char))
        return std::string("control character in the reason phrase");
    out.reason = std::string(reason);
    if (auto e = parse_field_lines(text, limits, out.fields)) return e;

    bool te_present = false, chunked = false;
    if (auto e = parse_transfer_encoding(out, te_present, chunked)) return e;
    std::optional<std::uint64_t> length;
    if (auto e = parse_content_length(out, length)) return e;

    out.interim = out.status >= 100 && out.status < 200 && out.status != 101;
    out.switches_protocol = out.status == 101 || (request_method == "CONNECT" && out.status / 100 == 2);
    decide_keep_alive(out);
    if (out.status / 100 == 1 || out.status == 204 || out.status == 304 || request_method == "HEAD" ||
        out.switches_protocol) {
        out.framing = BodyFraming::none;
    } else if (te_present) {
        // RFC 9112 6.3: Transfer-Encoding overrides Content-Length; a
        // response whose last coding is not chunked is read until close.
        out.framing = chunked ? BodyFraming::chunked : BodyFraming::until_close;
    } else if (length) {
        out.framing = BodyFraming::content_length;
        out.content_length = *length;
    } else {
        out.framing = BodyFraming::until_close;
    }
    if (out.framing == BodyFraming::until_close) out.keep_alive = false;
    return std::nullopt;
}

}  // namespace cursor_proxy::http1
