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
    std::error_code error;
    const auto local = socket.local_endpoint(error);
    if (error) return error;
    const bool v6 = local.address().is_v6() && !local.address().to_v6().is_v4_mapped();
    sockaddr_storage storage{};
    socklen_t length = sizeof storage;
    const int rc = v6 ? ::getsockopt(socket.native_handle(), SOL_IPV6, kIp6tSoOriginalDst, &storage, &length)
                      : ::getsockopt(socket.native_handle(), SOL_IP, kSoOriginalDst, &storage, &length);
    if (rc != 0) return {errno, std::system_category()};
    if (storage.ss_family != AF_INET && storage.ss_family != AF_INET6) {
        return std::make_error_code(std::errc::address_family_not_supported);
    }
    // The kernel filled a sockaddr_in/sockaddr_in6 (without updating length),
    // which is what an asio endpoint stores: copy it in rather than decoding
    // each family by hand.
    const std::size_t size = storage.ss_family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
    asio::ip::tcp::endpoint endpoint;
    std::memcpy(endpoint.data(), &storage, size);
    endpoint.resize(size);
    destination = endpoint;
    return {};
}

}  // namespace cursor_proxy::accept
