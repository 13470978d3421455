#include "capture/recorder.hpp"

#include "capture/decode/base64.hpp"
#include "capture/decode/connect_get.hpp"
#include "capture/decode/error_details.hpp"
#include "capture/event_lines.hpp"
#include "stats/counters.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <charconv>

namespace cursor_proxy::capture {
namespace {

constexpr auto kRelaxed = std::memory_order_relaxed;

std::string_view direction_name(observer::Direction d) {
    return d == observer::Direction::request ? "request" : "response";
}

stats::Counter& counter_messages = stats::counter("capture.messages");
stats::Counter& counter_rpcs = stats::counter("capture.rpcs");

}  // namespace

Recorder::Recorder(const CaptureConfig& config, JournalStore& store, const decode::DescriptorPool* pool,
                   std::string session)
    : config_(config),
      store_(store),
      pool_(pool),
      session_(std::move(session)),
      redactor_(config.redact, config.redacted_headers) {}

void Recorder::write(const nlohmann::json& line, std::chrono::system_clock::time_point time) {
    store_.append(to_line(line), time);
}

nlohmann::json Recorder::base(std::string_view type, const CaptureEvent& e) const {
    return {{"v", kFormatVersion}, {"type", type}, {"time", iso_time(e.time)}, {"session", session_},
            {"conn", e.key.connection_id}};
}

nlohmann::json Recorder::stream_base(std::string_view type, const CaptureEvent& e, const Stream& s) const {
    nlohmann::json line = base(type, e);
    line["stream"] = e.key.stream_id;
    line["rpc"] = fmt::format("{}.{}", e.key.connection_id, e.key.stream_id);
    line["host"] = s.host;
    line["path"] = s.path;
    return line;
}

void Recorder::session_started() {
    CaptureEvent now;
    now.time = std::chrono::system_clock::now();
    nlohmann::json line = {{"v", kFormatVersion}, {"type", "session"}, {"time", iso_time(now.time)},
                           {"session", session_}, {"pid", ::getpid()}, {"redaction", config_.redact},
                           {"raw", config_.store_raw}, {"descriptors", config_.descriptors.string()}};
    write(line, now.time);
}

void Recorder::handle(CaptureEvent& e) {
    switch (e.kind) {
        case EventKind::connection_opened: return on_connection_opened(e);
        case EventKind::connection_closed: return on_connection_closed(e);
        case EventKind::request_headers: return on_request_headers(e);
        case EventKind::response_headers: return on_response_headers(e);
        default: break;
    }
    const Key key{e.key.connection_id, e.key.stream_id};
    auto it = streams_.find(key);
    if (it == streams_.end()) {
        if (e.kind == EventKind::stream_closed) return;
        // Its request headers were dropped (queue full): record what follows
        // as lost, once, so a reader sees the gap.
        it = streams_.emplace(key, Stream{}).first;
        it->second.started = e.time;
        mark_damaged(e, it->second, "request headers were dropped (capture queue full)");
    }
    Stream& s = it->second;
    if (e.after_loss) mark_damaged(e, s, "events were dropped (capture queue full)");
    switch (e.kind) {
        case EventKind::body_data: on_body(e, s); break;
        case EventKind::trailers: on_trailers(e, s); break;
        case EventKind::stream_closed:
            on_stream_closed(e, s);
            streams_.erase(it);
            break;
        default: break;
    }
}

void Recorder::mark_damaged(const CaptureEvent& e, Stream& s, std::string_view why) {
    if (s.damaged) return;
    s.damaged = true;
    if (!s.recorded) return;
    nlohmann::json line = stream_base("lost", e, s);
    line["note"] = fmt::format("{}; later messages of this stream are not decoded", why);
    write(line, e.time);
}

void Recorder::on_connection_opened(const CaptureEvent& e) {
    const observer::ConnectionInfo& c = e.connection;
    connections_[c.id] = Connection{c.sni, c.alpn};
    if (!c.sni.empty() && !config_.filter.accepts_host(c.sni)) return;
    nlohmann::json line = base("connection", e);
    line["time"] = iso_time(c.opened.time_since_epoch().count() != 0 ? c.opened : e.time);
    line["client"] = c.client_address;
    line["destination"] = c.original_destination;
    line["sni"] = c.sni;
    line["alpn"] = c.alpn;
    line["intercepted"] = c.intercepted;
    write(line, e.time);
}

void Recorder::on_connection_closed(const CaptureEvent& e) {
    const auto conn = connections_.find(e.key.connection_id);
    const std::string sni = conn == connections_.end() ? std::string() : conn->second.sni;
    // Streams whose stream_closed was lost go with their connection.
    streams_.erase(streams_.lower_bound({e.key.connection_id, 0}), streams_.lower_bound({e.key.connection_id + 1, 0}));
    if (conn != connections_.end()) connections_.erase(conn);
    if (!sni.empty() && !config_.filter.accepts_host(sni)) return;
    nlohmann::json line = base("connection_closed", e);
    line["reason"] = e.reason;
    write(line, e.time);
}

void Recorder::on_request_headers(const CaptureEvent& e) {
    Stream& s = streams_[{e.key.connection_id, e.key.stream_id}];
    s = Stream{};
    s.started = e.time;
    s.request_headers = e.headers;
    const auto conn = connections_.find(e.key.connection_id);
    s.host = rpc_host(e.headers, conn == connections_.end() ? std::string_view() : conn->second.sni);
    s.method = header_value(e.headers, ":method");
    s.path = path_without_query(header_value(e.headers, ":path"));
    const std::string_view type = media_type(header_value(e.headers, "content-type"));
    stats::counter("rpcs.host." + (s.host.empty() ? std::string("unknown") : s.host)).fetch_add(1, kRelaxed);
    s.recorded = config_.filter.accepts(s.host, s.path, type);
    if (!s.recorded) return;
    counter_rpcs.fetch_add(1, kRelaxed);
    nlohmann::json line = stream_base("request", e, s);
    line["method"] = s.method;
    line["url_path"] = redactor_.request_target(header_value(e.headers, ":path"));
    line["content_type"] = type;
    line["headers"] = headers_json(redactor_.headers(e.headers));
    write(line, e.time);
    // A Connect GET carries its request message in the query string.
    if (auto get = decode::decode_connect_get(s.method, header_value(e.headers, ":path"), pool_, decode_limits())) {
        write_message(e, s, observer::Direction::request, get->message, get->format);
    }
}

void Recorder::on_response_headers(const CaptureEvent& e) {
    auto it = streams_.find({e.key.connection_id, e.key.stream_id});
    if (it == streams_.end()) return;  // request headers lost: nothing to pair with
    Stream& s = it->second;
    if (e.after_loss) mark_damaged(e, s, "events were dropped (capture queue full)");
    s.response_headers = e.headers;
    const std::string_view status = header_value(e.headers, ":status");
    std::from_chars(status.data(), status.data() + status.size(), s.status);
    if (!s.recorded) return;
    nlohmann::json line = stream_base("response", e, s);
    line["status"] = s.status;
    line["content_type"] = media_type(header_value(e.headers, "content-type"));
    line["headers"] = headers_json(redactor_.headers(e.headers));
    add_status_details(line, e.headers);  // a trailers-only gRPC response
    write(line, e.time);
}

void Recorder::on_body(CaptureEvent& e, Stream& s) {
    if (!s.recorded || s.damaged) return;
    decode(e, s, e.direction, e.body);
}

void Recorder::on_trailers(const CaptureEvent& e, Stream& s) {
    if (!s.recorded) return;
    if (!s.damaged) finish(e, s, e.direction);
    nlohmann::json line = stream_base("trailers", e, s);
    line["dir"] = direction_name(e.direction);
    line["headers"] = headers_json(redactor_.headers(e.headers));
    add_status_details(line, e.headers);
    write(line, e.time);
}

void Recorder::on_stream_closed(const CaptureEvent& e, Stream& s) {
    if (!s.recorded) return;
    if (!s.damaged) {
        finish(e, s, observer::Direction::request);
        finish(e, s, observer::Direction::response);
    }
    const observer::StreamEnd& end = e.end;
    if (end.error_code != 0) {
        nlohmann::json reset = stream_base("reset", e, s);
        reset["error_code"] = end.error_code;
        reset["error"] = http2_error_name(end.error_code);
        reset["by"] = end.ended_by_proxy ? "proxy" : end.reset_by == observer::Direction::request ? "client" : "server";
        write(reset, e.time);
    }
    nlohmann::json line = stream_base("end", e, s);
    line["method"] = s.method;
    line["status"] = s.status;
    line["error_code"] = end.error_code;
    line["request_bytes"] = end.request_bytes;
    line["response_bytes"] = end.response_bytes;
    line["request_messages"] = s.request.messages;
    line["response_messages"] = s.response.messages;
    line["duration_ms"] = std::chrono::duration<double, std::milli>(e.time - s.started).count();
    line["complete"] = !s.damaged;
    write(line, e.time);
}

void Recorder::decode(const CaptureEvent& e, Stream& s, observer::Direction d, std::span<const std::uint8_t> bytes) {
    Direction& dir = side(s, d);
    if (dir.finished) return;
    if (!dir.decoder) {
        const bool request = d == observer::Direction::request;
        dir.decoder = decode::make_body_decoder({.headers = request ? s.request_headers : s.response_headers,
                                                 .direction = d,
                                                 .rpc_path = s.path,
                                                 .pool = pool_,
                                                 .limits = decode_limits()});
    }
    for (decode::DecodedMessage& m : dir.decoder->feed(bytes)) write_message(e, s, d, m, dir.decoder->format());
}

void Recorder::finish(const CaptureEvent& e, Stream& s, observer::Direction d) {
    Direction& dir = side(s, d);
    if (dir.finished) return;
    dir.finished = true;
    if (!dir.decoder) return;  // no body
    // Trailers are written as their own line, so the decoder is not given them.
    for (decode::DecodedMessage& m : dir.decoder->finish(nullptr)) write_message(e, s, d, m, dir.decoder->format());
}

decode::Limits Recorder::decode_limits() const {
    decode::Limits limits;
    limits.max_message_bytes = config_.max_message_bytes;
    limits.keep_raw = config_.store_raw;
    return limits;
}

void Recorder::add_status_details(nlohmann::json& line, const observer::Headers& headers) {
    const std::string_view value = header_value(headers, "grpc-status-details-bin");
    if (value.empty()) return;
    auto details = decode::grpc_status_details(value, pool_, decode::Limits{}.max_depth);
    if (!details) return;
    redactor_.scrub(*details);
    line["error_details"] = std::move(*details);
}

void Recorder::write_message(const CaptureEvent& e, Stream& s, observer::Direction d, decode::DecodedMessage& m,
                             std::string_view format) {
    ++side(s, d).messages;
    counter_messages.fetch_add(1, kRelaxed);
    decode::attach_error_details(m, d, pool_, decode::Limits{}.max_depth);
    redactor_.scrub(m.decoded);
    redactor_.scrub_raw(m.raw);
    nlohmann::json line = stream_base("message", e, s);
    line["dir"] = direction_name(d);
    line["index"] = m.index;
    line["kind"] = m.kind;
    line["format"] = format;
    line["form"] = m.form;
    if (!m.type_name.empty()) line["type_name"] = m.type_name;
    line["compressed"] = m.compressed;
    line["wire_size"] = m.wire_size;
    line["decoded_size"] = m.decoded_size;
    line["truncated"] = m.truncated;
    line["decoded"] = std::move(m.decoded);
    if (m.error_details) {
        redactor_.scrub(*m.error_details);
        line["error_details"] = std::move(*m.error_details);
    }
    if (!m.error.empty()) line["error"] = m.error;
    if (config_.store_raw && !m.raw.empty()) {
        if (auto ref = store_.append_raw(m.raw, e.time)) {
            line["raw"] = {{"file", ref->file}, {"offset", ref->offset}, {"length", ref->length}};
        }
    } else if (!m.raw.empty()) {
        line["raw_prefix"] = decode::base64_encode(m.raw);
    }
    write(line, e.time);
}

}  // namespace cursor_proxy::capture
