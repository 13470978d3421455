#include "http2/connection.hpp"

#include "http2/callbacks.hpp"
#include "http2/header_list.hpp"
#include "log/log.hpp"
#include "stats/counters.hpp"

namespace cursor_proxy::http2 {
namespace {

stats::Counter& streams_counter() {
    static auto& c = stats::counter("http2.streams");
    return c;
}
stats::Counter& resets_counter() {
    static auto& c = stats::counter("http2.resets");
    return c;
}
stats::Counter& active_streams_gauge() {
    static auto& c = stats::counter("http2.streams.active");
    return c;
}

bool has_end_stream(const nghttp2_frame& frame) { return (frame.hd.flags & NGHTTP2_FLAG_END_STREAM) != 0; }

int submit_trailers(SessionLeg& leg, std::int32_t stream_id, const observer::Headers& trailers) {
    const NvArray nva(trailers);
    return nghttp2_submit_trailer(leg.session(), stream_id, nva.data(), nva.size());
}

}  // namespace

Connection::Connection(std::uint64_t id, observer::Observer& observer, const Limits& limits,
                       const asio::any_io_executor& executor)
    : id_(id), observer_(observer), wants_bodies_(observer.wants_bodies()), limits_(limits),
      client_(Side::client, *this, executor),
      upstream_(Side::upstream, *this, executor), tick_timer_(executor),
      last_activity_(std::chrono::steady_clock::now()) {}

// Streams still open now (the relay was stopped: a leg gave up, or shutdown's
// grace ran out) are reported as cancelled, so a recording never shows a
// stream that simply stops. The observer outlives every relay.
Connection::~Connection() {
    for (StreamPair* pair : stream_pairs()) {
        if (!pair->reset) {
            pair->reset = observer::StreamEnd{NGHTTP2_CANCEL, observer::Direction::request, 0, 0};
            pair->reset->ended_by_proxy = true;
        }
        try {
            erase(*pair);
        } catch (const std::exception& e) {
            log::error("http2", "observer failed on a stream still open at the end",
                       {{"connection", id_}, {"error", e.what()}});
        }
    }
}

bool Connection::start() {
    for (SessionLeg* leg : {&client_, &upstream_}) {
        if (std::string error = leg->start(limits_); !error.empty()) {
            log::error("http2", "cannot start the relay", {{"connection", id_}, {"leg", leg->name()}, {"error", error}});
            return false;
        }
    }
    return true;
}

// ---- stream table ----------------------------------------------------------

std::vector<StreamPair*> Connection::stream_pairs() const {
    std::vector<StreamPair*> out;
    out.reserve(streams_.size());
    for (const auto& [id, pair] : streams_) out.push_back(pair.get());
    return out;
}

StreamPair* Connection::by_client(std::int32_t id) {
    auto it = streams_.find(id);
    return it == streams_.end() ? nullptr : it->second.get();
}

StreamPair* Connection::by_upstream(std::int32_t id) {
    auto it = upstream_to_client_.find(id);
    return it == upstream_to_client_.end() ? nullptr : by_client(it->second);
}

StreamPair* Connection::pair_on(const SessionLeg& leg, std::int32_t stream_id) {
    return leg.side() == Side::client ? by_client(stream_id) : by_upstream(stream_id);
}

std::int32_t Connection::stream_on(const SessionLeg& leg, const StreamPair& pair) const {
    return leg.side() == Side::client ? pair.client_id : pair.upstream_id;
}

// The half a leg receives: requests arrive from the client, responses from upstream.
HalfStream& Connection::inbound(const SessionLeg& leg, StreamPair& pair) {
    return leg.side() == Side::client ? pair.request : pair.response;
}

void Connection::erase(StreamPair& pair) {
    observer::StreamEnd end = pair.reset.value_or(observer::StreamEnd{});
    end.request_bytes = pair.request.bytes;
    end.response_bytes = pair.response.bytes;
    const observer::StreamKey key{id_, static_cast<std::uint64_t>(pair.client_id)};
    // The tables first: an observer that throws must not leave the stream half gone.
    if (pair.upstream_id != 0) upstream_to_client_.erase(pair.upstream_id);
    streams_.erase(pair.client_id);  // destroys `pair`
    active_streams_gauge().fetch_sub(1);
    observer_.stream_closed(key, end);
}

// ---- small actions on a leg ------------------------------------------------

void Connection::reset(SessionLeg& leg, std::int32_t stream_id, std::uint32_t code) {
    if (leg.dead || stream_id == 0) return;
    if (int rv = nghttp2_submit_rst_stream(leg.session(), NGHTTP2_FLAG_NONE, stream_id, code); rv != 0) {
        log::debug("http2", "RST_STREAM not queued",
                   {{"connection", id_}, {"leg", leg.name()}, {"stream", stream_id}, {"error", nghttp2_strerror(rv)}});
    }
    resets_counter().fetch_add(1, std::memory_order_relaxed);
    leg.notify();
}

// Reopens the sender's window for bytes that have left (or will never need) our buffer.
void Connection::consume(SessionLeg& leg, std::int32_t stream_id, std::size_t bytes) {
    if (bytes == 0 || leg.dead || stream_id == 0) return;
    // Updates the connection window even when the stream is gone.
    if (int rv = nghttp2_session_consume(leg.session(), stream_id, bytes); rv != 0) {
        log::warning("http2", "consume failed",
                     {{"connection", id_}, {"leg", leg.name()}, {"stream", stream_id}, {"error", nghttp2_strerror(rv)}});
    }
    leg.notify();
}

// The half arriving on `from` will not be relayed: free its bytes and reopen the window.
void Connection::drop_body(SessionLeg& from, StreamPair& pair) {
    consume(from, stream_on(from, pair), inbound(from, pair).body.clear());
}

void Connection::goaway(SessionLeg& leg, std::uint32_t code) {
    if (leg.dead || leg.goaway_submitted) return;
    leg.goaway_submitted = true;
    int rv = 0;
    if (leg.side() == Side::client) {
        // Streams the client already opened finish; newer ones are ignored and retried elsewhere.
        rv = nghttp2_submit_goaway(leg.session(), NGHTTP2_FLAG_NONE,
                                   nghttp2_session_get_last_proc_stream_id(leg.session()), code, nullptr, 0);
    } else {
        rv = nghttp2_session_terminate_session(leg.session(), code);
    }
    if (rv != 0) {
        log::debug("http2", "GOAWAY not queued", {{"connection", id_}, {"leg", leg.name()}, {"error", nghttp2_strerror(rv)}});
    }
    leg.notify();
}

// ---- nghttp2 events ---------------------------------------------------------

int Connection::on_begin_headers(SessionLeg& leg, const nghttp2_frame& frame) {
    if (frame.hd.type != NGHTTP2_HEADERS) return 0;
    const std::int32_t id = frame.hd.stream_id;
    if (leg.side() == Side::client && frame.headers.cat == NGHTTP2_HCAT_REQUEST) {
        auto pair = std::make_unique<StreamPair>();
        pair->client_id = id;
        streams_.emplace(id, std::move(pair));
        streams_counter().fetch_add(1, std::memory_order_relaxed);
        active_streams_gauge().fetch_add(1, std::memory_order_relaxed);
        return 0;
    }
    if (StreamPair* pair = pair_on(leg, id)) {
        HalfStream& half = inbound(leg, *pair);
        half.headers.clear();
        half.header_bytes = 0;
    }
    return 0;
}

int Connection::on_header(SessionLeg& leg, const nghttp2_frame& frame, std::string_view name, std::string_view value) {
    StreamPair* pair = pair_on(leg, frame.hd.stream_id);
    if (pair == nullptr) return 0;
    HalfStream& half = inbound(leg, *pair);
    half.header_bytes += field_cost(name, value);
    if (half.header_bytes > limits_.max_header_list_bytes) {
        if (!pair->oversized_headers) {
            log::info("http2", "header list too large, stream reset",
                      {{"connection", id_}, {"leg", leg.name()}, {"stream", frame.hd.stream_id},
                       {"limit", limits_.max_header_list_bytes}});
            pair->oversized_headers = true;
            half.headers.clear();
            // The sender ignored our SETTINGS_MAX_HEADER_LIST_SIZE: a flood, not an accident.
            reset(leg, frame.hd.stream_id, NGHTTP2_ENHANCE_YOUR_CALM);
        }
        return 0;  // nghttp2 still decodes the rest, keeping the HPACK table in step
    }
    half.headers.push_back({std::string(name), std::string(value)});
    return 0;
}

int Connection::on_frame_recv(SessionLeg& leg, const nghttp2_frame& frame) {
    // Only stream traffic counts against the idle timeout, not PINGs (ours are answered).
    if (frame.hd.type == NGHTTP2_HEADERS || frame.hd.type == NGHTTP2_DATA || frame.hd.type == NGHTTP2_RST_STREAM) {
        active_since_tick_ = true;
    }
    switch (frame.hd.type) {
        case NGHTTP2_HEADERS: {
            StreamPair* pair = pair_on(leg, frame.hd.stream_id);
            if (pair != nullptr && pair->oversized_headers) return 0;  // already reset
            if (pair == nullptr) {
                // A response for a stream the client already gave up on.
                if (leg.side() == Side::upstream) reset(leg, frame.hd.stream_id, NGHTTP2_CANCEL);
                return 0;
            }
            if (leg.side() == Side::client) {
                if (frame.headers.cat == NGHTTP2_HCAT_REQUEST) {
                    request_headers_done(*pair, has_end_stream(frame));
                } else {
                    trailers_done(leg, *pair);
                }
            } else if (!pair->final_response) {
                response_headers_done(*pair, has_end_stream(frame));
            } else {
                trailers_done(leg, *pair);
            }
            return 0;
        }
        case NGHTTP2_DATA:
            if (has_end_stream(frame)) {
                if (StreamPair* pair = pair_on(leg, frame.hd.stream_id)) half_ended(leg, *pair);
            }
            return 0;
        case NGHTTP2_GOAWAY:
            log::info("http2", "GOAWAY received",
                      {{"connection", id_}, {"leg", leg.name()}, {"last_stream", frame.goaway.last_stream_id},
                       {"code", nghttp2_http2_strerror(frame.goaway.error_code)}});
            // Upstream going away: the client may finish what it has and must open nothing new here.
            if (leg.side() == Side::upstream) goaway(client_, NGHTTP2_NO_ERROR);
            return 0;
        default:
            return 0;
    }
}

void Connection::request_headers_done(StreamPair& pair, bool end_stream) {
    const observer::StreamKey key{id_, static_cast<std::uint64_t>(pair.client_id)};
    observer_.request_headers(key, pair.request.headers);
    pair.request.ended = end_stream;
    pair.request.end_sent = end_stream;
    if (upstream_.dead || upstream_.read_closed || upstream_.goaway_submitted) {
        pair.upstream_closed = true;
        reset(client_, pair.client_id, NGHTTP2_REFUSED_STREAM);
        return;
    }
    const NvArray nva(pair.request.headers);
    const DataProvider body = data_provider(pair.client_id, read_body_callback);
    // nghttp2 holds the request in its own queue while the upstream's
    // MAX_CONCURRENT_STREAMS is reached, and copies the header bytes.
    const std::int32_t upstream_id =
        submit_request(upstream_.session(), nva.data(), nva.size(), end_stream ? nullptr : &body);
    pair.request.headers.clear();
    if (upstream_id < 0) {
        log::info("http2", "request not submitted upstream",
                  {{"connection", id_}, {"stream", pair.client_id}, {"error", nghttp2_strerror(upstream_id)}});
        pair.upstream_closed = true;
        reset(client_, pair.client_id, NGHTTP2_REFUSED_STREAM);
        return;
    }
    pair.upstream_id = upstream_id;
    upstream_to_client_.emplace(upstream_id, pair.client_id);
    upstream_.notify();
}

void Connection::response_headers_done(StreamPair& pair, bool end_stream) {
    const NvArray nva(pair.response.headers);
    const auto status = status_code(pair.response.headers);
    if (status && *status >= 100 && *status < 200 && !end_stream) {
        // Informational (100 Continue, 103 Early Hints): forwarded, the final response follows.
        if (int rv = nghttp2_submit_headers(client_.session(), NGHTTP2_FLAG_NONE, pair.client_id, nullptr,
                                            nva.data(), nva.size(), nullptr);
            rv < 0) {
            reset(client_, pair.client_id, NGHTTP2_INTERNAL_ERROR);
        }
        client_.notify();
        return;
    }
    pair.final_response = true;
    observer_.response_headers({id_, static_cast<std::uint64_t>(pair.client_id)}, pair.response.headers);
    pair.response.ended = end_stream;
    pair.response.end_sent = end_stream;
    if (!pair.client_closed) {
        const DataProvider body = data_provider(pair.client_id, read_body_callback);
        // With END_STREAM on the HEADERS (a trailers-only gRPC answer, a 204), no DATA follows.
        if (int rv = submit_response(client_.session(), pair.client_id, nva.data(), nva.size(),
                                     end_stream ? nullptr : &body);
            rv != 0) {
            log::info("http2", "response not submitted to client",
                      {{"connection", id_}, {"stream", pair.client_id}, {"error", nghttp2_strerror(rv)}});
            reset(client_, pair.client_id, NGHTTP2_INTERNAL_ERROR);
        }
        client_.notify();
    }
    pair.response.headers.clear();
}

void Connection::trailers_done(SessionLeg& from, StreamPair& pair) {
    HalfStream& half = inbound(from, pair);
    const auto direction = from.side() == Side::client ? observer::Direction::request : observer::Direction::response;
    observer_.trailers({id_, static_cast<std::uint64_t>(pair.client_id)}, direction, half.headers);
    half.trailers = std::move(half.headers);
    half.headers.clear();
    // nghttp2 only accepts a trailer block with END_STREAM.
    half_ended(from, pair);
}

// The sender on `from` finished this half: let the other leg's data source end it.
void Connection::half_ended(SessionLeg& from, StreamPair& pair) {
    HalfStream& half = inbound(from, pair);
    half.ended = true;
    SessionLeg& to = other(from);
    const std::int32_t to_id = stream_on(to, pair);
    if (to_id == 0 || to.dead || !half.source_deferred || half.end_sent) return;
    if (half.trailers && half.body.empty()) {
        // The data source is parked with nothing left: send the trailers now,
        // rather than resuming it to emit an empty DATA frame first.
        half.end_sent = true;
        if (submit_trailers(to, to_id, *half.trailers) != 0) reset(to, to_id, NGHTTP2_INTERNAL_ERROR);
        to.notify();
    } else {
        resume(to, to_id, half);
    }
}

// Wakes the data source of `half` on `to`, parked for want of bytes.
void Connection::resume(SessionLeg& to, std::int32_t to_id, HalfStream& half) {
    half.source_deferred = false;
    if (int rv = nghttp2_session_resume_data(to.session(), to_id); rv != 0) {
        log::debug("http2", "resume failed", {{"connection", id_}, {"stream", to_id}, {"error", nghttp2_strerror(rv)}});
    }
    to.notify();
}

int Connection::on_data_chunk(SessionLeg& leg, std::int32_t stream_id, std::span<const std::uint8_t> data) {
    active_since_tick_ = true;
    StreamPair* pair = pair_on(leg, stream_id);
    SessionLeg& to = other(leg);
    const bool relayable = pair != nullptr && !(to.side() == Side::client ? pair->client_closed : pair->upstream_closed);
    if (!relayable) {
        // Nobody will take these bytes: give the window back at once so the connection never stalls.
        consume(leg, stream_id, data.size());
        return 0;
    }
    HalfStream& half = inbound(leg, *pair);
    half.body.append(data);
    half.bytes += data.size();
    if (wants_bodies_) {
        const auto direction = leg.side() == Side::client ? observer::Direction::request : observer::Direction::response;
        observer_.body_data({id_, static_cast<std::uint64_t>(pair->client_id)}, direction, data);
    }
    const std::int32_t to_id = stream_on(to, *pair);
    if (half.source_deferred && to_id != 0) resume(to, to_id, half);
    return 0;
}

ssize_type Connection::read_body(SessionLeg& leg, std::int32_t key, std::span<std::uint8_t> out, std::uint32_t& flags) {
    StreamPair* pair = by_client(key);
    if (pair == nullptr) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;  // resets the stream
    SessionLeg& from = other(leg);
    HalfStream& half = inbound(from, *pair);
    const std::size_t n = half.body.take(out);
    // The bytes are now ours to send: only now may the sender send more.
    consume(from, stream_on(from, *pair), n);
    if (half.body.empty() && half.ended) {
        half.end_sent = true;
        if (half.trailers) {
            if (submit_trailers(leg, stream_on(leg, *pair), *half.trailers) != 0) {
                return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
            }
            // Nothing left but the trailers: they go alone instead of after an
            // empty DATA frame, and this data source stays parked for good.
            if (n == 0) return NGHTTP2_ERR_DEFERRED;
            flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
        }
        flags |= NGHTTP2_DATA_FLAG_EOF;
        return static_cast<ssize_type>(n);
    }
    if (n == 0) {
        half.source_deferred = true;
        return NGHTTP2_ERR_DEFERRED;
    }
    return static_cast<ssize_type>(n);
}

int Connection::on_frame_send(SessionLeg& leg, const nghttp2_frame& frame) {
    if (leg.side() == Side::upstream && frame.hd.type == NGHTTP2_HEADERS && frame.headers.cat == NGHTTP2_HCAT_REQUEST) {
        if (StreamPair* pair = by_upstream(frame.hd.stream_id)) pair->upstream_opened = true;
    }
    if (leg.side() == Side::client && has_end_stream(frame) &&
        (frame.hd.type == NGHTTP2_DATA || frame.hd.type == NGHTTP2_HEADERS)) {
        StreamPair* pair = by_client(frame.hd.stream_id);
        // The upstream ended the exchange before reading the whole request: tell the client to stop sending.
        if (pair != nullptr && pair->upstream_closed && !pair->request.ended) {
            reset(client_, pair->client_id, NGHTTP2_NO_ERROR);
        }
    }
    return 0;
}

int Connection::on_stream_close(SessionLeg& leg, std::int32_t stream_id, std::uint32_t error_code) {
    StreamPair* pair = pair_on(leg, stream_id);
    if (pair == nullptr) return 0;
    const bool is_client = leg.side() == Side::client;
    if (error_code != NGHTTP2_NO_ERROR && !pair->reset) {
        observer::StreamEnd end;
        end.error_code = error_code;
        end.reset_by = is_client ? observer::Direction::request : observer::Direction::response;
        pair->reset = end;
    }
    SessionLeg& to = other(leg);
    if (is_client) {
        pair->client_closed = true;
        drop_body(upstream_, *pair);  // response bytes the client will never get
        const bool upstream_live = pair->upstream_id != 0 && !pair->upstream_closed;
        if (error_code != NGHTTP2_NO_ERROR && upstream_live) {
            reset(to, pair->upstream_id, error_code);
            pair->upstream_closed = true;
        }
        if (pair->upstream_closed || pair->upstream_id == 0) erase(*pair);
        return 0;
    }
    pair->upstream_closed = true;
    drop_body(client_, *pair);  // request bytes the upstream will never get
    if (pair->client_closed) {
        erase(*pair);
        return 0;
    }
    if (error_code != NGHTTP2_NO_ERROR) {
        reset(client_, pair->client_id, error_code);
    } else if (!pair->response.ended) {
        // Upstream said RST_STREAM(NO_ERROR) before finishing: so be it for the client too.
        reset(client_, pair->client_id, NGHTTP2_NO_ERROR);
    } else if (pair->response.end_sent && !pair->request.ended) {
        reset(client_, pair->client_id, NGHTTP2_NO_ERROR);
    }
    return 0;
}

// ---- I/O events -------------------------------------------------------------

void Connection::on_read(SessionLeg&) {
    client_.notify();
    upstream_.notify();
}

void Connection::leg_failed(SessionLeg& leg, std::string_view reason, bool can_write) {
    const bool first = !leg.read_closed;
    const bool was_done = leg.finished();
    leg.read_closed = true;
    if (!can_write) leg.dead = true;
    if (first && !was_done) {
        log::info("http2", "leg failed", {{"connection", id_}, {"leg", leg.name()}, {"reason", reason}});
    }
    if (leg.side() == Side::upstream) {
        // Streams that never reached the upstream may be retried by the client; the others are lost.
        const std::vector<StreamPair*> pairs = stream_pairs();
        upstream_to_client_.clear();
        for (StreamPair* pair : pairs) {
            pair->upstream_id = 0;
            if (pair->upstream_closed) continue;
            pair->upstream_closed = true;
            // Its client stream closed already and waited only for this one.
            if (pair->client_closed) {
                erase(*pair);
                continue;
            }
            // A complete response still on its way to the client is delivered.
            if (pair->response.ended) continue;
            drop_body(client_, *pair);  // the client's connection window gets those bytes back
            if (!pair->reset) pair->reset = observer::StreamEnd{NGHTTP2_INTERNAL_ERROR, observer::Direction::response, 0, 0};
            reset(client_, pair->client_id, pair->upstream_opened ? NGHTTP2_INTERNAL_ERROR : NGHTTP2_REFUSED_STREAM);
        }
        goaway(client_, NGHTTP2_NO_ERROR);
    } else {
        for (StreamPair* pair : stream_pairs()) {
            if (!pair->reset) pair->reset = observer::StreamEnd{NGHTTP2_CANCEL, observer::Direction::request, 0, 0};
            if (pair->upstream_id != 0 && !pair->upstream_closed) reset(upstream_, pair->upstream_id, NGHTTP2_CANCEL);
            drop_body(upstream_, *pair);
            erase(*pair);
        }
        goaway(upstream_, NGHTTP2_NO_ERROR);
    }
    client_.notify();
    upstream_.notify();
    check_done();
}

void Connection::tick() {
    for (SessionLeg* leg : {&client_, &upstream_}) {
        if (leg->dead) {
            // A leg died a whole interval ago and the other has not drained since: give up.
            stop();
            return;
        }
        if (!leg->read_since_tick && !leg->read_closed) {
            // Keeps NATs and load balancers from dropping a quiet but live connection.
            if (int rv = nghttp2_submit_ping(leg->session(), NGHTTP2_FLAG_NONE, nullptr); rv != 0) {
                log::debug("http2", "PING not queued", {{"connection", id_}, {"error", nghttp2_strerror(rv)}});
            }
            leg->notify();
        }
        leg->read_since_tick = false;
    }
    // Activity is noted per tick, not per frame (no clock read per DATA chunk):
    // the idle timeout may run up to one keepalive interval long.
    const auto now = std::chrono::steady_clock::now();
    if (active_since_tick_) last_activity_ = now;
    active_since_tick_ = false;
    if (streams_.empty() && now - last_activity_ >= limits_.idle_timeout) {
        log::debug("http2", "idle, closing", {{"connection", id_}});
        goaway(client_, NGHTTP2_NO_ERROR);
        goaway(upstream_, NGHTTP2_NO_ERROR);
    }
}

void Connection::check_done() {
    if (stopping_) return;
    if (client_.finished() && !upstream_.finished()) goaway(upstream_, NGHTTP2_NO_ERROR);
    if (upstream_.finished() && !client_.finished()) goaway(client_, NGHTTP2_NO_ERROR);
    if (client_.finished() && upstream_.finished()) stop();
}

void Connection::stop() {
    if (stopping_) return;
    stopping_ = true;
    tick_timer_.cancel();
    client_.cancel_wait();
    upstream_.cancel_wait();
    client_.notify();
    upstream_.notify();
    if (cancel_io_) cancel_io_();
}

}  // namespace cursor_proxy::http2
