#pragma once
// An observer for the test tools (plain-relay, h2c-relay) that prints each
// event as one JSON line on stdout, so integration tests can check what a
// relay reported:
//   {"event":"request_headers","connection":1,"stream":1,"headers":[[":method","GET"],...]}
// Header-only: each tool is one translation unit.
#include "observer/observer.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstdio>
#include <span>
#include <string>
#include <string_view>

namespace cursor_proxy::tools {

// One JSON object per line, flushed at once (tests read the lines live).
inline void emit(const nlohmann::json& line) {
    std::fputs((line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n").c_str(), stdout);
    std::fflush(stdout);
}

inline nlohmann::json headers_json(const observer::Headers& headers) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& h : headers) list.push_back({h.name, h.value});
    return list;
}

inline std::string_view direction_name(observer::Direction d) {
    return d == observer::Direction::request ? "request" : "response";
}

// What a "body" event says: nothing (wants_bodies() is false), the byte count,
// or the count and the bytes in hex (for small test bodies only).
enum class BodyReport { none, sizes, sizes_and_hex };

class JsonLinesObserver : public observer::Observer {
public:
    explicit JsonLinesObserver(BodyReport bodies) : bodies_(bodies) {}
    bool wants_bodies() const override { return bodies_ != BodyReport::none; }

    void connection_opened(const observer::ConnectionInfo& info) override {
        emit({{"event", "connection_opened"}, {"connection", info.id}, {"client", info.client_address}});
    }
    void connection_closed(std::uint64_t id, std::string_view reason) override {
        emit({{"event", "connection_closed"}, {"connection", id}, {"reason", reason}});
    }
    void request_headers(observer::StreamKey key, const observer::Headers& headers) override {
        emit({{"event", "request_headers"}, {"connection", key.connection_id}, {"stream", key.stream_id},
              {"headers", headers_json(headers)}});
    }
    void response_headers(observer::StreamKey key, const observer::Headers& headers) override {
        emit({{"event", "response_headers"}, {"connection", key.connection_id}, {"stream", key.stream_id},
              {"headers", headers_json(headers)}});
    }
    void body_data(observer::StreamKey key, observer::Direction d, std::span<const std::uint8_t> data) override {
        nlohmann::json line = {{"event", "body"}, {"connection", key.connection_id}, {"stream", key.stream_id},
                               {"direction", direction_name(d)}, {"bytes", data.size()}};
        if (bodies_ == BodyReport::sizes_and_hex) {
            std::string hex;
            for (auto b : data) hex += fmt::format("{:02x}", b);
            line["hex"] = hex;
        }
        emit(line);
    }
    void trailers(observer::StreamKey key, observer::Direction d, const observer::Headers& headers) override {
        emit({{"event", "trailers"}, {"connection", key.connection_id}, {"stream", key.stream_id},
              {"direction", direction_name(d)}, {"headers", headers_json(headers)}});
    }
    void stream_closed(observer::StreamKey key, const observer::StreamEnd& end) override {
        emit({{"event", "stream_closed"}, {"connection", key.connection_id}, {"stream", key.stream_id},
              {"error_code", end.error_code}, {"reset_by", end.ended_by_proxy ? "proxy" : direction_name(end.reset_by)},
              {"request_bytes", end.request_bytes}, {"response_bytes", end.response_bytes}});
    }

private:
    BodyReport bodies_;
};

}  // namespace cursor_proxy::tools
