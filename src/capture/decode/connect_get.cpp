#include "capture/decode/connect_get.hpp"

#include "capture/decode/base64.hpp"
#include "capture/decode/decoders.hpp"
#include "capture/decode/payload.hpp"
#include "text/percent_decode.hpp"
#include "text/query_string.hpp"


#include <cstdint>
#include <map>
#include <vector>

namespace cursor_proxy::capture::decode {
namespace {

// The query's parameters; the first of a repeated name wins.
std::map<std::string, std::string, std::less<>> query_parameters(std::string_view query) {
    std::map<std::string, std::string, std::less<>> out;
    for (const auto& p : text::split_query(query)) {
        const auto name = text::percent_decode(p.name);
        const auto value = text::percent_decode(p.value);
        if (name && value) out.emplace(*name, *value);
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
    const std::string_view encoding = get(parameters, "encoding");
    if (!parameters.contains("message") || (encoding != "proto" && encoding != "json") || !looks_like_rpc_path(path)) {
        return std::nullopt;
    }
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
        mark_over_limit(m, "message", payload.size(), payload, limits);
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
