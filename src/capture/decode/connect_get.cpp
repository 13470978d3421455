#include "capture/decode/connect_get.hpp"

#include "capture/decode/base64.hpp"
#include "capture/decode/payload.hpp"

#include <fmt/format.h>

#include <cstdint>
#include <map>
#include <vector>

namespace cursor_proxy::capture::decode {
namespace {

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// application/x-www-form-urlencoded value: %XX and '+' for space. nullopt on a bad escape.
std::optional<std::string> percent_decode(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '+') {
            out += ' ';
        } else if (text[i] != '%') {
            out += text[i];
        } else {
            if (i + 2 >= text.size()) return std::nullopt;
            const int high = hex_digit(text[i + 1]);
            const int low = hex_digit(text[i + 2]);
            if (high < 0 || low < 0) return std::nullopt;
            out += static_cast<char>(high * 16 + low);
            i += 2;
        }
    }
    return out;
}

// The query's parameters; the first of a repeated name wins.
std::map<std::string, std::string, std::less<>> query_parameters(std::string_view query) {
    std::map<std::string, std::string, std::less<>> out;
    while (!query.empty()) {
        const auto amp = query.find('&');
        const std::string_view pair = query.substr(0, amp);
        const auto equals = pair.find('=');
        const auto name = percent_decode(pair.substr(0, equals));
        const auto value = percent_decode(equals == std::string_view::npos ? "" : pair.substr(equals + 1));
        if (name && value) out.emplace(*name, *value);
        if (amp == std::string_view::npos) break;
        query.remove_prefix(amp + 1);
    }
    return out;
}

std::string_view get(const std::map<std::string, std::string, std::less<>>& parameters, std::string_view name) {
    const auto it = parameters.find(name);
    return it == parameters.end() ? std::string_view() : std::string_view(it->second);
}

}  // namespace

std::optional<ConnectGetMessage> decode_connect_get(std::string_view method, std::string_view target,
                                                    const DescriptorPool* pool, const Limits& limits) {
    if (method != "GET") return std::nullopt;
    const auto question = target.find('?');
    if (question == std::string_view::npos) return std::nullopt;
    const std::string_view path = target.substr(0, question);
    const auto parameters = query_parameters(target.substr(question + 1));
    if (!parameters.contains("message") || !parameters.contains("encoding")) return std::nullopt;

    const std::string_view encoding = get(parameters, "encoding");
    ConnectGetMessage out;
    out.format = encoding == "json" ? "connect-get+json" : "connect-get+proto";
    DecodedMessage& m = out.message;
    m.kind = "message";
    const std::string_view text = get(parameters, "message");
    std::vector<std::uint8_t> payload;
    if (get(parameters, "base64") == "1" || encoding != "json") {
        auto bytes = base64_decode(text);
        if (!bytes) {
            m.error = "the message parameter is not base64url";
            m.wire_size = text.size();
            m.raw = raw_prefix({reinterpret_cast<const std::uint8_t*>(text.data()), text.size()}, limits);
            return out;
        }
        payload = std::move(*bytes);
    } else {
        payload.assign(text.begin(), text.end());
    }
    m.wire_size = payload.size();
    if (payload.size() > limits.max_message_bytes) {
        m.truncated = true;
        m.error = fmt::format("message of {} bytes exceeds the limit of {} bytes; not decoded", payload.size(),
                              limits.max_message_bytes);
        m.raw = raw_prefix(payload, limits);
        return out;
    }
    PayloadSettings settings;
    settings.codec = encoding == "json" ? Codec::json : Codec::proto;
    settings.encoding = std::string(get(parameters, "compression"));
    settings.pool = pool;
    settings.limits = limits;
    if (pool != nullptr) {
        if (const MethodDescriptor* rpc = pool->find_method(path)) settings.type = pool->find_message(rpc->input_type);
    }
    const bool compressed = !settings.encoding.empty() && settings.encoding != "identity";
    decode_payload(m, payload, compressed, settings);
    return out;
}

}  // namespace cursor_proxy::capture::decode
