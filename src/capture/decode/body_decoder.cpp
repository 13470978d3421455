// make_body_decoder: reads content-type and the encoding headers, looks the
// RPC's message type up in the descriptor pool, and picks a decoder.
#include "capture/decode/body_decoder.hpp"

#include "capture/decode/decoders.hpp"
#include "capture/decode/descriptor_pool.hpp"
#include "capture/decode/headers_json.hpp"
#include "text/ascii.hpp"

#include <algorithm>
#include <cctype>

namespace cursor_proxy::capture::decode {

namespace {

std::string lower_trimmed(std::string_view s) {
    s = s.substr(0, s.find(';'));  // drop parameters such as "; charset=utf-8"
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return text::lower(s);
}

const MessageDescriptor* message_type(const DecoderOptions& options, std::string_view path) {
    if (!options.pool) return nullptr;
    const MethodDescriptor* method = options.pool->find_method(path);
    if (!method) return nullptr;
    const bool request = options.direction == observer::Direction::request;
    return options.pool->find_message(request ? method->input_type : method->output_type);
}

Codec codec_of(std::string_view suffix) { return suffix == "json" ? Codec::json : Codec::proto; }

}  // namespace

// "/package.Service/Method": a path Connect would use (the dot keeps REST
// paths such as "/api/status" out).
bool looks_like_rpc_path(std::string_view path) {
    path = path.substr(0, path.find('?'));
    if (path.size() < 4 || path.front() != '/') return false;
    const auto slash = path.find('/', 1);
    if (slash == std::string_view::npos || slash + 1 == path.size()) return false;
    const std::string_view service = path.substr(1, slash - 1);
    return service.find('.') != std::string_view::npos && path.find('/', slash + 1) == std::string_view::npos;
}

std::unique_ptr<BodyDecoder> make_body_decoder(const DecoderOptions& options) {
    const auto& headers = options.headers;
    const std::string_view path = options.rpc_path.empty() ? header_value(headers, ":path") : options.rpc_path;
    const std::string content_type = lower_trimmed(header_value(headers, "content-type"));

    PayloadSettings settings;
    settings.pool = options.pool;
    settings.type = message_type(options, path);
    settings.limits = options.limits;

    // Envelope formats: application/<prefix>[+codec].
    struct Enveloped {
        std::string_view prefix;
        Framing framing;
        bool text;
        std::string_view encoding_header;
    };
    static constexpr Enveloped enveloped[] = {
        {"application/connect", Framing::connect, false, "connect-content-encoding"},
        {"application/grpc-web-text", Framing::grpc_web, true, "grpc-encoding"},
        {"application/grpc-web", Framing::grpc_web, false, "grpc-encoding"},
        {"application/grpc", Framing::grpc, false, "grpc-encoding"},
    };
    for (const auto& e : enveloped) {
        if (!content_type.starts_with(e.prefix)) continue;
        const std::string_view rest = std::string_view(content_type).substr(e.prefix.size());
        if (!rest.empty() && rest.front() != '+') continue;
        // Bare "application/connect" is not a Connect content type; plain it is.
        if (e.framing == Framing::connect && rest.empty()) break;
        const std::string_view codec = rest.empty() ? "proto" : rest.substr(1);
        settings.codec = codec_of(codec);
        settings.encoding = lower_trimmed(header_value(headers, e.encoding_header));
        std::string format = std::string(e.prefix.substr(std::string_view("application/").size())) + "+" + std::string(codec);
        return make_enveloped_decoder(std::move(format), e.framing, e.text, std::move(settings));
    }

    WholeBody body;
    body.content_type = content_type;
    body.content_encoding = lower_trimmed(header_value(headers, "content-encoding"));
    const bool proto = content_type == "application/proto" || content_type == "application/protobuf" ||
                       content_type == "application/x-protobuf";
    // application/json is Connect unary only on an RPC path; elsewhere it is a plain JSON body.
    const bool json_rpc = content_type == "application/json" && looks_like_rpc_path(path);
    if (proto || json_rpc) {
        const std::string_view method = header_value(headers, ":method");
        body.rpc = true;
        // A unary call always has a message, possibly empty; a GET carries it in the URL.
        body.emit_when_empty = options.direction == observer::Direction::response || (method != "GET" && method != "HEAD");
        settings.codec = proto ? Codec::proto : Codec::json;
        return make_whole_body_decoder(proto ? "unary+proto" : "unary+json", std::move(body), std::move(settings));
    }
    return make_whole_body_decoder("plain", std::move(body), std::move(settings));
}

}  // namespace cursor_proxy::capture::decode
