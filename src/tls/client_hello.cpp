#include "tls/client_hello.hpp"

#include <fmt/format.h>

#include <optional>
#include <set>
#include <string_view>

namespace cursor_proxy::tls {
namespace {

constexpr std::uint8_t kHandshakeRecord = 0x16;
constexpr std::uint8_t kClientHelloType = 0x01;
constexpr std::size_t kRecordHeader = 5;
constexpr std::size_t kHandshakeHeader = 4;
// RFC 8446 5.1: a plaintext record carries at most 2^14 bytes.
constexpr std::size_t kMaxRecordPayload = 16384;
constexpr std::uint16_t kExtServerName = 0;
constexpr std::uint16_t kExtAlpn = 16;
constexpr std::uint8_t kHostName = 0;

// Reads big-endian integers and byte runs from a span; once a read falls off
// the end every later read fails too, so callers check ok() once per field.
class Reader {
public:
    explicit Reader(std::span<const std::uint8_t> data) : data_(data) {}

    bool ok() const { return ok_; }
    std::size_t remaining() const { return ok_ ? data_.size() - pos_ : 0; }
    bool empty() const { return remaining() == 0; }

    std::uint32_t u8() { return uint(1); }
    std::uint32_t u16() { return uint(2); }
    std::uint32_t u24() { return uint(3); }

    std::span<const std::uint8_t> bytes(std::size_t n) {
        if (!ok_ || data_.size() - pos_ < n) {
            ok_ = false;
            return {};
        }
        auto out = data_.subspan(pos_, n);
        pos_ += n;
        return out;
    }

private:
    std::uint32_t uint(std::size_t n) {
        std::uint32_t value = 0;
        for (std::uint8_t b : bytes(n)) value = (value << 8) | b;
        return value;
    }

    std::span<const std::uint8_t> data_;
    std::size_t pos_ = 0;
    bool ok_ = true;
};

ParseResult malformed(std::string error) {
    ParseResult r;
    r.status = ParseStatus::malformed;
    r.error = std::move(error);
    return r;
}

std::string_view as_text(std::span<const std::uint8_t> bytes) {
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

// SNI ends up in log lines, file names and certificates: only printable ASCII
// without spaces is accepted (IDNs arrive as punycode).
bool printable_name(std::span<const std::uint8_t> name) {
    for (std::uint8_t c : name) {
        if (c < 0x21 || c > 0x7e) return false;
    }
    return !name.empty();
}

std::optional<std::string> parse_server_name(std::span<const std::uint8_t> data, ClientHello& hello) {
    Reader r(data);
    Reader list(r.bytes(r.u16()));
    if (!r.ok() || !r.empty()) return "server_name extension length does not match its list";
    if (list.empty()) return "server_name extension has an empty list";
    while (!list.empty()) {
        std::uint32_t type = list.u8();
        auto name = list.bytes(list.u16());
        if (!list.ok()) return "server_name entry runs past its list";
        if (type != kHostName || !hello.sni.empty()) continue;
        if (!printable_name(name)) return "server_name host_name is empty or not printable ASCII";
        hello.sni = std::string(as_text(name));
    }
    return std::nullopt;
}

std::optional<std::string> parse_alpn(std::span<const std::uint8_t> data, ClientHello& hello) {
    Reader r(data);
    Reader list(r.bytes(r.u16()));
    if (!r.ok() || !r.empty()) return "ALPN extension length does not match its list";
    if (list.empty()) return "ALPN extension has an empty protocol list";
    while (!list.empty()) {
        auto protocol = list.bytes(list.u8());
        if (!list.ok()) return "ALPN protocol name runs past its list";
        if (protocol.empty()) return "ALPN list holds an empty protocol name";
        hello.alpn.emplace_back(as_text(protocol));
    }
    return std::nullopt;
}

// The ClientHello body (after the 4-byte handshake header), complete.
std::optional<std::string> parse_body(std::span<const std::uint8_t> body, ClientHello& hello) {
    Reader r(body);
    hello.client_version = static_cast<std::uint16_t>(r.u16());
    r.bytes(32);  // random
    std::size_t session_id_length = r.u8();
    r.bytes(session_id_length);
    if (!r.ok()) return "ClientHello ends inside version, random or session id";
    if (session_id_length > 32) return fmt::format("session id of {} bytes (at most 32)", session_id_length);
    std::size_t suites_length = r.u16();
    r.bytes(suites_length);
    if (!r.ok()) return "ClientHello ends inside the cipher suite list";
    if (suites_length < 2 || suites_length % 2 != 0)
        return fmt::format("cipher suite list of {} bytes (must be even and non-empty)", suites_length);
    std::size_t compression_length = r.u8();
    r.bytes(compression_length);
    if (!r.ok()) return "ClientHello ends inside the compression method list";
    if (compression_length == 0) return "empty compression method list";
    if (r.empty()) return std::nullopt;  // no extensions at all (old clients)

    Reader extensions(r.bytes(r.u16()));
    if (!r.ok() || !r.empty()) return "extensions length does not match the rest of the ClientHello";
    std::set<std::uint32_t> seen;
    while (!extensions.empty()) {
        std::uint32_t type = extensions.u16();
        auto data = extensions.bytes(extensions.u16());
        if (!extensions.ok()) return "an extension runs past the extension list";
        if (!seen.insert(type).second) return fmt::format("extension {} appears twice", type);
        std::optional<std::string> error;
        if (type == kExtServerName) error = parse_server_name(data, hello);
        if (type == kExtAlpn) error = parse_alpn(data, hello);
        if (error) return error;
    }
    return std::nullopt;
}

}  // namespace

ParseResult parse_client_hello(std::span<const std::uint8_t> bytes) {
    // Is it TLS at all? A handshake record starts 0x16 0x03.
    if (bytes.empty()) return {};
    if (bytes[0] != kHandshakeRecord) {
        return {.status = ParseStatus::not_tls, .hello = {}, .error = "first byte is not a TLS handshake record"};
    }
    if (bytes.size() >= 2 && bytes[1] != 0x03) {
        return {.status = ParseStatus::not_tls, .hello = {}, .error = "record version is not TLS (major 3)"};
    }

    // Gather the handshake message from as many records as it spans.
    std::vector<std::uint8_t> message;
    std::size_t pos = 0;
    std::uint16_t record_version = 0;
    std::optional<std::size_t> message_length;
    while (!message_length || message.size() < kHandshakeHeader + *message_length) {
        if (bytes.size() - pos < kRecordHeader) return {};
        auto header = bytes.subspan(pos, kRecordHeader);
        if (header[0] != kHandshakeRecord)
            return malformed(fmt::format("record of type {} inside the ClientHello", header[0]));
        if (header[1] != 0x03) return malformed("record version is not TLS (major 3) inside the ClientHello");
        std::size_t length = (std::size_t{header[3]} << 8) | header[4];
        if (length == 0) return malformed("empty handshake record");
        if (length > kMaxRecordPayload)
            return malformed(fmt::format("record of {} bytes (at most {})", length, kMaxRecordPayload));
        if (pos == 0) record_version = static_cast<std::uint16_t>((header[1] << 8) | header[2]);
        if (bytes.size() - pos - kRecordHeader < length) return {};
        auto payload = bytes.subspan(pos + kRecordHeader, length);
        message.insert(message.end(), payload.begin(), payload.end());
        pos += kRecordHeader + length;

        if (!message_length && message.size() >= kHandshakeHeader) {
            if (message[0] != kClientHelloType)
                return malformed(fmt::format("handshake message of type {}, not a ClientHello", message[0]));
            message_length = (std::size_t{message[1]} << 16) | (std::size_t{message[2]} << 8) | message[3];
            if (*message_length > kMaxClientHelloBytes)
                return malformed(fmt::format("ClientHello of {} bytes (at most {})", *message_length,
                                             kMaxClientHelloBytes));
        }
    }

    ParseResult result;
    auto body = std::span(message).subspan(kHandshakeHeader, *message_length);
    if (auto error = parse_body(body, result.hello)) return malformed(std::move(*error));
    result.status = ParseStatus::complete;
    result.hello.record_version = record_version;
    result.hello.bytes = pos;
    return result;
}

}  // namespace cursor_proxy::tls
