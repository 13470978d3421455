#include "control/status_server.hpp"

#include "log/log.hpp"
#include "log/user_error.hpp"
#include "stats/counters.hpp"

#include <asio.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <thread>

namespace cursor_proxy::control {
namespace {

namespace fs = std::filesystem;
using Socket = asio::local::stream_protocol::socket;

// A socket file left by a daemon that died is replaced; one that answers
// belongs to a running daemon and is not.
void clear_stale_socket(const fs::path& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) return;
    if (!S_ISSOCK(st.st_mode)) {
        throw UserError(fmt::format("status socket path {} exists and is not a socket; move that file away "
                                    "(the socket lives in $RUNTIME_DIRECTORY or the data directory)",
                                    path.string()));
    }
    asio::io_context io;
    Socket probe(io);
    std::error_code ec;
    probe.connect(asio::local::stream_protocol::endpoint(path.string()), ec);
    if (!ec) {
        throw UserError(fmt::format("status socket {} is in use: another cursor-proxy is running with the same "
                                    "data directory; stop it or choose another directory", path.string()));
    }
    fs::remove(path, ec);
}

class UnixStatusServer final : public StatusServer {
public:
    UnixStatusServer(fs::path path, std::function<std::string()> extra)
        : path_(std::move(path)), extra_(std::move(extra)), acceptor_(io_) {
        clear_stale_socket(path_);
        const asio::local::stream_protocol::endpoint endpoint(path_.string());
        std::error_code ec;
        acceptor_.open(endpoint.protocol(), ec);
        if (!ec) acceptor_.bind(endpoint, ec);
        // Owner only before anyone can connect: listen() comes after chmod.
        if (!ec && ::chmod(path_.c_str(), 0600) != 0) ec = std::error_code(errno, std::generic_category());
        if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
        if (ec) {
            throw UserError(fmt::format("cannot create status socket {}: {} (check that its directory exists and "
                                        "is writable by the proxy's user)", path_.string(), ec.message()));
        }
        accept();
        thread_ = std::thread([this] { io_.run(); });
    }

    ~UnixStatusServer() override {
        io_.stop();
        if (thread_.joinable()) thread_.join();
        std::error_code ec;
        fs::remove(path_, ec);
    }

private:
    void accept() {
        acceptor_.async_accept([this](std::error_code ec, Socket socket) {
            if (ec == asio::error::operation_aborted) return;
            if (!ec) answer(std::move(socket));
            accept();
        });
    }

    void answer(Socket socket) {
        auto text = std::make_shared<std::string>(document());
        auto peer = std::make_shared<Socket>(std::move(socket));
        asio::async_write(*peer, asio::buffer(*text), [text, peer](std::error_code, std::size_t) {
            std::error_code ignored;  // the reader may have gone; nothing to do about it
            peer->shutdown(Socket::shutdown_both, ignored);
        });
    }

    std::string document() const {
        nlohmann::json doc = nlohmann::json::object();
        if (extra_) {
            nlohmann::json more = nlohmann::json::parse(extra_(), nullptr, false);
            if (more.is_object()) doc.update(more);
            else log::warning("control", "status extra() did not return a JSON object; left out");
        }
        doc["pid"] = ::getpid();
        doc["uptime_seconds"] =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
        doc["counters"] = stats::snapshot();
        return doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    }

    fs::path path_;
    std::function<std::string()> extra_;
    std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
    asio::io_context io_;
    asio::local::stream_protocol::acceptor acceptor_;
    std::thread thread_;
};

}  // namespace

std::unique_ptr<StatusServer> StatusServer::start(const fs::path& path, std::function<std::string()> extra) {
    return std::make_unique<UnixStatusServer>(path, std::move(extra));
}

}  // namespace cursor_proxy::control
