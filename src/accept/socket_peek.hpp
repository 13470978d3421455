#pragma once
// Looks at the first bytes of a connection without consuming them, so that
// whatever is decided next (intercept, pass through, read a CONNECT request)
// still sees every byte. The caller bounds the total wait (timer raced with ||).
#include <asio.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <system_error>

namespace cursor_proxy::accept {

enum class PeekVerdict { enough, need_more };

// Peeks at what is buffered (at most max_bytes) and hands it to judge each
// time more has arrived, until judge says enough. Returns an error on EOF
// before that (asio::error::eof), on a socket error, or message_size when
// max_bytes are buffered and judge still wants more.
asio::awaitable<std::error_code> peek_until(asio::ip::tcp::socket& socket, std::size_t max_bytes,
                                            const std::function<PeekVerdict(std::span<const std::uint8_t>)>& judge);

}  // namespace cursor_proxy::accept
