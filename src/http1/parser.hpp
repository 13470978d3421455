#pragma once
// A pull-style, incremental HTTP/1.1 message parser (RFC 9112) for one
// direction of a connection: a stream of requests, or of responses. It owns no
// buffer: the caller shows it the bytes it has, it says what they are and how
// many it used. The caller drops the used bytes (the relay forwards them
// unchanged) and shows the rest again, plus whatever arrived, next time.
//
//   Parser p(MessageKind::request);
//   for (;;) {
//       Event e = p.next(buffered);       // buffered: bytes not yet consumed
//       drop(e.consumed);
//       if (e.type == EventType::need_more) break;   // read more, call again
//       ... head / body / trailers / message_end / error
//   }
//
// Never reads past the span, never throws on bad input, bounded memory (the
// head and trailers are limited by ParserLimits). Fuzzed by tests/fuzz.
#include "http1/message.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace cursor_proxy::http1 {

enum class EventType {
    need_more,    // nothing more to report until more bytes arrive
    head,         // head() holds the request or status line and fields
    body,         // body holds payload bytes, chunk framing removed
    trailers,     // trailers() holds the chunked trailer fields
    message_end,  // the message is complete; the next one may follow
    error,        // the input breaks HTTP/1.1; error says how; the parser stays failed
};

struct Event {
    EventType type = EventType::need_more;
    // Input bytes this call used up (framing included); may be non-zero with
    // need_more (blank lines, chunk size lines) and zero with message_end.
    std::size_t consumed = 0;
    std::span<const std::uint8_t> body;  // points into the input given to next()
    std::string error;
};

class Parser {
public:
    explicit Parser(MessageKind kind, ParserLimits limits = {});

    Event next(std::span<const std::uint8_t> input);
    // The peer closed its side. Ends a read-until-close body (message_end);
    // an error if a message was cut short; need_more if between messages
    // (a partial head left in the caller's buffer is the caller's to judge).
    Event end_of_input();

    // Responses only: the method of the request the next response answers
    // ("HEAD" responses have no body, "CONNECT" 2xx switches to a tunnel).
    // Call before the response's head is parsed; a final response resets it.
    void expect_response_to(std::string_view request_method) { request_method_ = request_method; }

    const MessageHead& head() const { return head_; }
    const observer::Headers& trailers() const { return trailers_; }
    // True before a message's first byte (nothing of a message consumed yet).
    bool between_messages() const { return state_ == State::start; }
    // A 101 (or CONNECT 2xx) ended HTTP on this connection.
    bool switched_protocol() const { return state_ == State::switched; }

private:
    enum class State {
        start, length_body, chunk_size, chunk_data, chunk_data_end, trailers, message_end, until_close,
        switched, failed,
    };

    std::optional<Event> section_end(std::span<const std::uint8_t> rest, std::size_t used, std::string_view what,
                                     std::size_t& end);
    Event head_event(std::span<const std::uint8_t> input, std::size_t& used);
    std::optional<Event> chunk_size_line(std::span<const std::uint8_t> input, std::size_t& used);
    std::optional<Event> trailer_section(std::span<const std::uint8_t> input, std::size_t& used);
    Event body_event(std::span<const std::uint8_t> input, std::size_t& used, State when_done);
    Event fail(std::string error, std::size_t used);

    MessageKind kind_;
    ParserLimits limits_;
    State state_ = State::start;
    MessageHead head_;
    observer::Headers trailers_;
    std::string request_method_;
    std::uint64_t remaining_ = 0;  // body bytes left (content length or current chunk)
    std::size_t scanned_ = 0;      // head/trailer bytes already searched for the end, on the last call
    std::string error_;
};

}  // namespace cursor_proxy::http1
