#include "accept/original_destination.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace cursor_proxy::accept {
namespace {

// From <linux/netfilter_ipv4.h> and <linux/netfilter_ipv6/ip6_tables.h>; those
// headers clash with <netinet/in.h>, and the value is kernel ABI.
constexpr int kSoOriginalDst = 80;
constexpr int kIp6tSoOriginalDst = 80;

}  // namespace

std::error_code original_destination(asio::ip::tcp::socket& socket, asio::ip::tcp::endpoint& destination) {
    const bool v6 = socket.local_endpoint().address().is_v6() &&
                    !socket.local_endpoint().address().to_v6().is_v4_mapped();
    sockaddr_storage storage{};
    socklen_t length = sizeof storage;
    const int rc = v6 ? ::getsockopt(socket.native_handle(), SOL_IPV6, kIp6tSoOriginalDst, &storage, &length)
                      : ::getsockopt(socket.native_handle(), SOL_IP, kSoOriginalDst, &storage, &length);
    if (rc != 0) return {errno, std::system_category()};
    if (storage.ss_family == AF_INET) {
        sockaddr_in sin{};
        std::memcpy(&sin, &storage, sizeof sin);
        asio::ip::address_v4::bytes_type bytes;
        std::memcpy(bytes.data(), &sin.sin_addr, bytes.size());
        destination = {asio::ip::address_v4(bytes), ntohs(sin.sin_port)};
        return {};
    }
    if (storage.ss_family == AF_INET6) {
        sockaddr_in6 sin6{};
        std::memcpy(&sin6, &storage, sizeof sin6);
        asio::ip::address_v6::bytes_type bytes;
        std::memcpy(bytes.data(), &sin6.sin6_addr, bytes.size());
        destination = {asio::ip::address_v6(bytes), ntohs(sin6.sin6_port)};
        return {};
    }
    return std::make_error_code(std::errc::address_family_not_supported);
}

}  // namespace cursor_proxy::accept
