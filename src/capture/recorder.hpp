#pragma once
// The writer thread's side: turns queued events into event-log lines. Keeps
// per-connection and per-stream state, applies the filter, runs one body
// decoder per stream and direction, redacts, and hands lines to the store.
#include "capture/capture_config.hpp"
#include "capture/capture_event.hpp"
#include "capture/decode/body_decoder.hpp"
#include "capture/journal_store.hpp"
#include "capture/redaction.hpp"

#include <nlohmann/json.hpp>

#include <map>
#include <memory>
#include <string>
#include <utility>

namespace cursor_proxy::capture {

class Recorder {
public:
    // pool may be null (no --descriptors). All references must outlive this.
    Recorder(const CaptureConfig& config, JournalStore& store, const decode::DescriptorPool* pool, std::string session);

    void session_started();
    void handle(CaptureEvent& event);

private:
    struct Direction {
        std::unique_ptr<decode::BodyDecoder> decoder;
        bool finished = false;
        std::uint64_t messages = 0;
    };
    struct Stream {
        std::chrono::system_clock::time_point started{};
        std::string host, method, path;
        observer::Headers request_headers, response_headers;  // decoders read these
        int status = 0;
        bool recorded = true;  // passed the filter
        bool damaged = false;  // events were lost: no more decoding
        Direction request, response;
    };
    struct Connection {
        std::string sni, alpn;
    };
    using Key = std::pair<std::uint64_t, std::uint64_t>;

    nlohmann::json base(std::string_view type, const CaptureEvent& e) const;
    nlohmann::json stream_base(std::string_view type, const CaptureEvent& e, const Stream& s) const;
    void write(const nlohmann::json& line, std::chrono::system_clock::time_point time);

    void on_connection_opened(const CaptureEvent& e);
    void on_connection_closed(const CaptureEvent& e);
    void on_request_headers(const CaptureEvent& e);
    void on_response_headers(const CaptureEvent& e);
    void on_body(CaptureEvent& e, Stream& s);
    void on_trailers(const CaptureEvent& e, Stream& s);
    void on_stream_closed(const CaptureEvent& e, Stream& s);

    Direction& side(Stream& s, observer::Direction d) { return d == observer::Direction::request ? s.request : s.response; }
    // The one place the decoders are made and fed.
    void decode(const CaptureEvent& e, Stream& s, observer::Direction d, std::span<const std::uint8_t> bytes);
    void finish(const CaptureEvent& e, Stream& s, observer::Direction d);
    decode::Limits decode_limits() const;  // from the capture options
    // error_details from grpc-status-details-bin, when the headers have it.
    void add_status_details(nlohmann::json& line, const observer::Headers& headers);
    void write_message(const CaptureEvent& e, Stream& s, observer::Direction d, decode::DecodedMessage& m,
                       std::string_view format);
    void mark_damaged(const CaptureEvent& e, Stream& s, std::string_view why);

    const CaptureConfig& config_;
    JournalStore& store_;
    const decode::DescriptorPool* pool_;
    std::string session_;
    Redactor redactor_;
    std::map<std::uint64_t, Connection> connections_;
    std::map<Key, Stream> streams_;
};

}  // namespace cursor_proxy::capture
