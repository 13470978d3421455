#include "accept/connect_request.hpp"

#include "accept/host_port.hpp"
#include "accept/socket_peek.hpp"

#include <asio/experimental/as_tuple.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <string_view>

namespace cursor_proxy::accept {
namespace {

using asio::experimental::as_tuple;
constexpr std::string_view kEndOfHead = "\r\n\r\n";

std::string_view status_text(int status) {
    switch (status) {
        case 200: return "Connection established";
        case 400: return "Bad Request";
        case 403: return "Forbidden";
        case 405: return "Method Not Allowed";
        case 431: return "Request Header Fields Too Large";
        case 502: return "Bad Gateway";
        case 504: return "Gateway Timeout";
    }
    return "Error";
}

ConnectParse invalid(int status, std::string error) {
    ConnectParse out;
    out.status = ConnectParse::Status::invalid;
    out.http_status = status;
    out.error = std::move(error);
    return out;
}

}  // namespace

ConnectParse parse_connect_request(std::span<const std::uint8_t> bytes) {
    const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    const auto end = text.find(kEndOfHead);
    if (end == std::string_view::npos) {
        if (text.size() >= kMaxConnectRequestBytes) return invalid(431, "CONNECT request head larger than 8 KiB");
        // Reject early what can never become a CONNECT, e.g. a TLS ClientHello
        // sent to the explicit port.
        const std::string_view method = "CONNECT ";
        const auto n = std::min(text.size(), method.size());
        if (text.substr(0, n) != method.substr(0, n)) return invalid(405, "only CONNECT is supported on this port");
        return {};
    }
    const std::string_view line = text.substr(0, text.find("\r\n"));
    if (!line.starts_with("CONNECT ")) return invalid(405, "only CONNECT is supported on this port");
    const auto target_end = line.find(' ', 8);
    if (target_end == std::string_view::npos || !line.substr(target_end + 1).starts_with("HTTP/1.")) {
        return invalid(400, "request line is not 'CONNECT host:port HTTP/1.1'");
    }
    const std::string_view target = line.substr(8, target_end - 8);
    const auto split = split_host_port(target);
    if (const auto* why = std::get_if<std::string>(&split)) {
        if (*why == "missing :PORT") return invalid(400, fmt::format("CONNECT target '{}' has no port", target));
        return invalid(400, fmt::format("bad CONNECT target '{}': {}", target, *why));
    }
    const auto [host, port] = std::get<HostPort>(split);
    if (host.empty() || port == 0) return invalid(400, fmt::format("bad CONNECT target '{}'", target));
    const bool host_ok = std::all_of(host.begin(), host.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' || c == ':';
    });
    if (!host_ok || host.size() > 253) return invalid(400, fmt::format("bad host name in CONNECT target '{}'", target));
    ConnectParse out;
    out.status = ConnectParse::Status::complete;
    out.request.host = std::string(host);
    out.request.port = static_cast<std::uint16_t>(port);
    out.request.bytes = end + kEndOfHead.size();
    return out;
}

asio::awaitable<void> refuse_connect(asio::ip::tcp::socket& socket, int http_status, std::string_view reason) {
    const std::string reply =
        fmt::format("HTTP/1.1 {} {}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}\n",
                    http_status, status_text(http_status), reason.size() + 1, reason);
    // Best effort: the client may already be gone, and we close either way.
    auto [ignored, n] = co_await asio::async_write(socket, asio::buffer(reply), as_tuple(asio::use_awaitable));
    (void)ignored;
    (void)n;
}

asio::awaitable<std::error_code> accept_connect(asio::ip::tcp::socket& socket) {
    static constexpr std::string_view kReply = "HTTP/1.1 200 Connection established\r\n\r\n";
    auto [error, n] = co_await asio::async_write(socket, asio::buffer(kReply), as_tuple(asio::use_awaitable));
    (void)n;
    co_return error;
}

asio::awaitable<ConnectOutcome> read_connect_request(asio::ip::tcp::socket& socket) {
    ConnectOutcome outcome;
    ConnectParse parse;
    const auto error = co_await peek_until(socket, kMaxConnectRequestBytes, [&](auto bytes) {
        parse = parse_connect_request(bytes);
        return parse.status == ConnectParse::Status::need_more ? PeekVerdict::need_more : PeekVerdict::enough;
    });
    if (error) {
        if (error == asio::error::message_size) {
            outcome.error = "CONNECT request head larger than 8 KiB";
            outcome.refused = true;
            co_await refuse_connect(socket, 431, outcome.error);
        } else {
            outcome.error = fmt::format("reading CONNECT request: {}", error.message());
        }
        co_return outcome;
    }
    if (parse.status == ConnectParse::Status::invalid) {
        co_await refuse_connect(socket, parse.http_status, parse.error);
        outcome.error = parse.error;
        outcome.refused = true;
        co_return outcome;
    }
    // Consume exactly the request head; whatever follows (the ClientHello) stays queued.
    std::vector<std::uint8_t> sink(parse.request.bytes);
    auto [read_error, n] = co_await asio::async_read(socket, asio::buffer(sink), as_tuple(asio::use_awaitable));
    (void)n;
    if (read_error) {
        outcome.error = fmt::format("reading CONNECT request: {}", read_error.message());
        co_return outcome;
    }
    outcome.request = std::move(parse.request);
    co_return outcome;
}

}  // namespace cursor_proxy::accept
