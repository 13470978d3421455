#include "http1/parser.hpp"

#include "http1/head_parser.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

namespace cursor_proxy::http1 {
namespace {

std::string_view as_text(std::span<const std::uint8_t> bytes) {
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

struct SectionEnd {
    std::size_t end = 0;  // index just past the closing "\r\n\r\n"; 0: not found yet
    bool bare_lf = false;
};

// Looks for the empty line that ends a head or trailer section, starting at
// `from` (bytes before it were searched on an earlier call).
SectionEnd find_section_end(std::span<const std::uint8_t> in, std::size_t from) {
    for (std::size_t i = from; i < in.size(); ++i) {
        if (in[i] != '\n') continue;
        if (i == 0 || in[i - 1] != '\r') return {0, true};
        if (i >= 3 && in[i - 2] == '\n' && in[i - 3] == '\r') return {i + 1, false};
    }
    return {};
}

Event event(EventType type, std::size_t used, std::span<const std::uint8_t> body = {}) {
    Event e;
    e.type = type;
    e.consumed = used;
    e.body = body;
    return e;
}

Event need_more(std::size_t used) { return event(EventType::need_more, used); }

int hex_value(std::uint8_t c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

Parser::Parser(MessageKind kind, ParserLimits limits) : kind_(kind), limits_(limits) {}

Event Parser::fail(std::string error, std::size_t used) {
    state_ = State::failed;
    error_ = std::move(error);
    Event e = event(EventType::error, used);
    e.error = error_;
    return e;
}

Event Parser::next(std::span<const std::uint8_t> input) {
    std::size_t used = 0;
    for (;;) {
        auto rest = input.subspan(used);
        switch (state_) {
        case State::start:
            // RFC 9112 2.2: ignore empty lines before a request or status line.
            if (scanned_ == 0 && !rest.empty() && rest[0] == '\r') {
                if (rest.size() < 2) return need_more(used);
                if (rest[1] == '\n') {
                    used += 2;
                    continue;
                }
            }
            return head_event(input, used);
        case State::length_body:
            return body_event(input, used, State::message_end);
        case State::chunk_size: {
            if (auto stop = chunk_size_line(input, used)) return *stop;
            continue;
        }
        case State::chunk_data:
            return body_event(input, used, State::chunk_data_end);
        case State::chunk_data_end:
            if (rest.size() < 2) return need_more(used);
            if (rest[0] != '\r' || rest[1] != '\n') return fail("chunk data not followed by CRLF", used);
            used += 2;
            state_ = State::chunk_size;
            continue;
        case State::trailers: {
            if (auto stop = trailer_section(input, used)) return *stop;
            continue;
        }
        case State::message_end:
            if (kind_ == MessageKind::response && !head_.interim) request_method_.clear();
            state_ = head_.switches_protocol ? State::switched : State::start;
            return event(EventType::message_end, used);
        case State::until_close:
            if (rest.empty()) return need_more(used);
            used += rest.size();
            return event(EventType::body, used, rest);
        case State::switched:
            if (rest.empty()) return need_more(used);
            return fail("bytes after the connection switched protocols were given to the HTTP parser", used);
        case State::failed:
            return fail(error_, used);
        }
    }
}

// Finds where a head or trailer section ends (`what` names it in errors).
// Returns the event to hand back while it is incomplete or too big; else sets
// `end` to the index just past its empty line.
std::optional<Event> Parser::section_end(std::span<const std::uint8_t> rest, std::size_t used, std::string_view what,
                                         std::size_t& end) {
    auto found = find_section_end(rest, std::min(scanned_, rest.size()));
    if (found.bare_lf) return fail(fmt::format("bare LF in the {} (lines must end in CRLF)", what), used);
    auto too_big = [&] { return fail(fmt::format("{} larger than {} bytes", what, limits_.max_header_bytes), used); };
    if (found.end == 0) {
        if (rest.size() >= limits_.max_header_bytes) return too_big();
        scanned_ = rest.size();
        return need_more(used);
    }
    scanned_ = 0;
    if (found.end > limits_.max_header_bytes) return too_big();
    end = found.end;
    return std::nullopt;
}

Event Parser::head_event(std::span<const std::uint8_t> input, std::size_t& used) {
    auto rest = input.subspan(used);
    std::size_t end = 0;
    if (auto stop = section_end(rest, used, "head", end)) return *stop;
    // The head text keeps its last CRLF but not the empty line.
    auto text = as_text(rest.first(end - 2));
    auto error = kind_ == MessageKind::request ? parse_request_head(text, limits_, head_)
                                               : parse_response_head(text, request_method_, limits_, head_);
    if (error) return fail(std::move(*error), used);
    trailers_.clear();
    used += end;
    switch (head_.framing) {
    case BodyFraming::none: state_ = State::message_end; break;
    case BodyFraming::content_length:
        remaining_ = head_.content_length;
        state_ = remaining_ == 0 ? State::message_end : State::length_body;
        break;
    case BodyFraming::chunked: state_ = State::chunk_size; break;
    case BodyFraming::until_close: state_ = State::until_close; break;
    }
    return event(EventType::head, used);
}

Event Parser::body_event(std::span<const std::uint8_t> input, std::size_t& used, State when_done) {
    auto rest = input.subspan(used);
    if (rest.empty()) return need_more(used);
    auto n = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, rest.size()));
    remaining_ -= n;
    used += n;
    if (remaining_ == 0) state_ = when_done;
    return event(EventType::body, used, rest.first(n));
}

// nullopt: the line was consumed and parsing goes on.
std::optional<Event> Parser::chunk_size_line(std::span<const std::uint8_t> input, std::size_t& used) {
    auto rest = input.subspan(used);
    auto window = rest.first(std::min(rest.size(), limits_.max_chunk_line_bytes));
    auto lf = std::find(window.begin(), window.end(), std::uint8_t{'\n'});
    if (lf == window.end()) {
        if (rest.size() >= limits_.max_chunk_line_bytes)
            return fail(fmt::format("chunk size line longer than {} bytes", limits_.max_chunk_line_bytes), used);
        return need_more(used);
    }
    auto line_end = static_cast<std::size_t>(lf - window.begin());
    if (line_end == 0 || rest[line_end - 1] != '\r') return fail("chunk size line ends in a bare LF", used);
    auto line = rest.first(line_end - 1);

    std::uint64_t size = 0;
    std::size_t digits = 0;
    for (; digits < line.size() && hex_value(line[digits]) >= 0; ++digits) {
        if (digits == 15) return fail("chunk size too large", used);
        size = size * 16 + static_cast<std::uint64_t>(hex_value(line[digits]));
    }
    if (digits == 0) return fail(fmt::format("invalid chunk size line '{}'", as_text(line.first(std::min<std::size_t>(line.size(), 40)))), used);
    // RFC 9112 7.1.1: chunk-ext = *( BWS ";" BWS ext-name [ BWS "=" BWS ext-val ] )
    auto ext = line.subspan(digits);
    while (!ext.empty() && (ext[0] == ' ' || ext[0] == '\t')) ext = ext.subspan(1);
    if (!ext.empty() && ext[0] != ';') return fail("invalid characters after the chunk size", used);
    for (std::uint8_t c : ext) {
        if (c != '\t' && (c < 0x20 || c == 0x7f)) return fail("control character in a chunk extension", used);
    }
    used += line_end + 1;
    if (size == 0) {
        state_ = State::trailers;
        scanned_ = 0;
    } else {
        remaining_ = size;
        state_ = State::chunk_data;
    }
    return std::nullopt;
}

// nullopt: an empty trailer section was consumed and parsing goes on.
std::optional<Event> Parser::trailer_section(std::span<const std::uint8_t> input, std::size_t& used) {
    auto rest = input.subspan(used);
    if (rest.size() < 2) return need_more(used);
    if (rest[0] == '\r' && rest[1] == '\n') {  // no trailers
        used += 2;
        state_ = State::message_end;
        return std::nullopt;
    }
    std::size_t end = 0;
    if (auto stop = section_end(rest, used, "trailers", end)) return *stop;
    if (auto error = parse_field_lines(as_text(rest.first(end - 2)), limits_, trailers_))
        return fail("bad trailer: " + *error, used);
    used += end;
    state_ = State::message_end;
    return event(EventType::trailers, used);
}

Event Parser::end_of_input() {
    switch (state_) {
    case State::until_close:
        state_ = State::start;
        return event(EventType::message_end, 0);
    case State::start:
    case State::switched:
        return Event{};
    case State::failed:
        return fail(error_, 0);
    default:
        return fail("connection closed in the middle of a message", 0);
    }
}

}  // namespace cursor_proxy::http1
