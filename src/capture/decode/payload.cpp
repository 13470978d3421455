#include "capture/decode/payload.hpp"

#include "capture/decode/base64.hpp"
#include "capture/decode/gzip.hpp"
#include "capture/decode/headers_json.hpp"
#include "capture/decode/raw_protobuf.hpp"
#include "capture/decode/schema_json.hpp"
#include "capture/decode/utf8.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace cursor_proxy::capture::decode {

std::vector<std::uint8_t> raw_prefix(std::span<const std::uint8_t> bytes, const Limits& limits) {
    const auto n = std::min(bytes.size(), limits.raw_prefix_bytes);
    return {bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n)};
}

void mark_over_limit(DecodedMessage& m, std::string_view what, std::uint64_t size,
                     std::span<const std::uint8_t> received, const Limits& limits) {
    m.truncated = true;
    m.error = fmt::format("{} of {} bytes exceeds the limit of {} bytes; not decoded", what, size,
                          limits.max_message_bytes);
    m.raw = raw_prefix(received, limits);
}

void append_trailers(std::vector<DecodedMessage>& out, std::uint64_t index, const observer::Headers* trailers) {
    if (!trailers || trailers->empty()) return;
    DecodedMessage m;
    m.index = index;
    m.kind = "trailers";
    m.form = "headers";
    m.decoded = headers_to_json(*trailers);
    out.push_back(std::move(m));
}

bool decompress(DecodedMessage& m, std::span<const std::uint8_t> payload, std::string_view encoding,
                const Limits& limits, std::vector<std::uint8_t>& out) {
    m.compressed = true;
    if (encoding != "gzip" && encoding != "x-gzip" && encoding != "deflate") {
        m.error = encoding.empty() || encoding == "identity"
                      ? "message is flagged compressed but no compression was declared"
                      : fmt::format("compression \"{}\" is not supported (only gzip)", encoding);
        m.raw = raw_prefix(payload, limits);
        m.decoded_size = payload.size();
        return false;
    }
    InflateResult inflated = gunzip(payload, limits.max_decompressed_bytes);
    m.decoded_size = inflated.bytes.size();
    if (!inflated.error.empty()) {
        m.error = inflated.error;
        m.raw = raw_prefix(payload, limits);
        return false;
    }
    if (inflated.capped) {
        m.error = fmt::format("decompressed size exceeds the limit of {} bytes", limits.max_decompressed_bytes);
        m.truncated = true;
        m.raw = raw_prefix(inflated.bytes, limits);
        return false;
    }
    out = std::move(inflated.bytes);
    return true;
}

namespace {

void decode_json(DecodedMessage& m, std::span<const std::uint8_t> bytes, const Limits& limits) {
    // Parsing without exceptions: a discarded value means "not JSON".
    auto parsed = nlohmann::json::parse(bytes.begin(), bytes.end(), nullptr, false);
    if (parsed.is_discarded()) {
        m.error = "payload is not valid JSON";
        m.raw = raw_prefix(bytes, limits);
        return;
    }
    m.form = "json";
    m.decoded = std::move(parsed);
}

void decode_proto(DecodedMessage& m, std::span<const std::uint8_t> bytes, const PayloadSettings& settings) {
    const int depth = settings.limits.max_depth;
    if (settings.type && settings.pool) {
        if (auto json = decode_with_schema(bytes, *settings.type, *settings.pool, depth)) {
            m.form = "protobuf";
            m.type_name = settings.type->full_name;
            m.decoded = std::move(*json);
            return;
        }
    }
    if (auto fields = decode_raw_protobuf(bytes, depth)) {
        m.form = "protobuf-raw";
        m.decoded = std::move(*fields);
        if (settings.type) m.error = fmt::format("does not parse as {}; decoded without schema", settings.type->full_name);
        return;
    }
    m.error = "payload is not a valid protobuf message";
    m.raw = raw_prefix(bytes, settings.limits);
}

}  // namespace

void decode_payload(DecodedMessage& m, std::span<const std::uint8_t> payload, bool compressed,
                    const PayloadSettings& settings) {
    std::vector<std::uint8_t> inflated;
    if (compressed) {
        if (!decompress(m, payload, settings.encoding, settings.limits, inflated)) return;
        payload = inflated;
    }
    m.decoded_size = payload.size();
    if (settings.codec == Codec::json) decode_json(m, payload, settings.limits);
    else decode_proto(m, payload, settings);
    if (settings.limits.keep_raw) m.raw.assign(payload.begin(), payload.end());
}

void decode_plain(DecodedMessage& m, std::span<const std::uint8_t> body, std::string_view content_type,
                  const Limits& limits) {
    m.decoded_size = body.size();
    const bool says_json = content_type.ends_with("/json") || content_type.ends_with("+json");
    if (says_json) {
        auto parsed = nlohmann::json::parse(body.begin(), body.end(), nullptr, false);
        if (!parsed.is_discarded()) {
            m.form = "json";
            m.decoded = std::move(parsed);
            if (limits.keep_raw) m.raw.assign(body.begin(), body.end());
            return;
        }
        m.error = "content type says JSON but the body does not parse as JSON";
    }
    if (is_printable_utf8(body)) {
        m.form = "text";
        m.decoded = std::string(reinterpret_cast<const char*>(body.data()), body.size());
    } else {
        m.form = "binary";
        m.decoded = {{"size", body.size()}, {"first_bytes", base64_encode(raw_prefix(body, limits))}};
    }
    if (limits.keep_raw) m.raw.assign(body.begin(), body.end());
}

}  // namespace cursor_proxy::capture::decode
