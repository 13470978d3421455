#include "capture/decode/base64.hpp"

namespace cursor_proxy::capture::decode {

namespace {

constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::uint8_t pad = 64;
constexpr std::uint8_t invalid = 255;

std::uint8_t sextet(std::uint8_t c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;  // '-' and '_': the URL-safe alphabet
    if (c == '/' || c == '_') return 63;
    if (c == '=') return pad;
    return invalid;
}

}  // namespace

std::string base64_encode(std::span<const std::uint8_t> bytes) {
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 3 <= bytes.size(); i += 3) {
        const std::uint32_t n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
        out += alphabet[(n >> 18) & 63];
        out += alphabet[(n >> 12) & 63];
        out += alphabet[(n >> 6) & 63];
        out += alphabet[n & 63];
    }
    if (const std::size_t rest = bytes.size() - i; rest > 0) {
        const std::uint32_t n = (bytes[i] << 16) | (rest == 2 ? bytes[i + 1] << 8 : 0);
        out += alphabet[(n >> 18) & 63];
        out += alphabet[(n >> 12) & 63];
        out += rest == 2 ? alphabet[(n >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

bool Base64StreamDecoder::feed(std::span<const std::uint8_t> text, std::vector<std::uint8_t>& out) {
    for (const std::uint8_t c : text) {
        if (failed_) return false;
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
        const std::uint8_t v = sextet(c);
        // Padding may only fill the last one or two places of a group.
        if (v == invalid || (v == pad && have_ < 2) || (v != pad && have_ == 3 && group_[2] == pad)) {
            failed_ = true;
            return false;
        }
        group_[have_++] = v;
        if (have_ < 4) continue;
        have_ = 0;
        const std::uint32_t n = (group_[0] << 18) | (group_[1] << 12) | ((group_[2] & 63) << 6) | (group_[3] & 63);
        out.push_back(static_cast<std::uint8_t>(n >> 16));
        if (group_[2] != pad) out.push_back(static_cast<std::uint8_t>(n >> 8));
        if (group_[3] != pad) out.push_back(static_cast<std::uint8_t>(n));
    }
    return !failed_;
}

std::optional<std::vector<std::uint8_t>> base64_decode(std::string_view text) {
    // One value: '=' only at its end (at most two), nothing outside the
    // alphabets. The stream decoder alone would accept "AA==AA==" and spaces.
    std::size_t end = text.size();
    while (end > 0 && text.size() - end < 2 && text[end - 1] == '=') --end;
    const std::string_view body = text.substr(0, end);
    if (body.size() % 4 == 1) return std::nullopt;
    if (end != text.size() && text.size() % 4 != 0) return std::nullopt;
    for (char c : body) {
        const std::uint8_t value = sextet(static_cast<std::uint8_t>(c));
        if (value == invalid || value == pad) return std::nullopt;
    }
    std::string padded(body);
    while (padded.size() % 4 != 0) padded += '=';
    std::vector<std::uint8_t> out;
    Base64StreamDecoder decoder;
    if (!decoder.feed({reinterpret_cast<const std::uint8_t*>(padded.data()), padded.size()}, out) ||
        !decoder.complete()) {
        return std::nullopt;
    }
    return out;
}

}  // namespace cursor_proxy::capture::decode
