#include "control/status_server.hpp"
#include "log/user_error.hpp"
#include "stats/counters.hpp"

#include <asio.hpp>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

using namespace cursor_proxy;
namespace fs = std::filesystem;

namespace {

class TempDir {
public:
    TempDir() {
        std::string pattern = (fs::current_path() / "control-test-XXXXXX").string();
        REQUIRE(::mkdtemp(pattern.data()) != nullptr);
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    const fs::path& path() const { return path_; }

private:
    fs::path path_;
};

nlohmann::json query(const fs::path& socket_path) {
    asio::io_context io;
    asio::local::stream_protocol::socket s(io);
    s.connect(asio::local::stream_protocol::endpoint(socket_path.string()));
    std::string text;
    std::error_code ec;
    asio::read(s, asio::dynamic_buffer(text), ec);
    REQUIRE(ec == asio::error::eof);
    return nlohmann::json::parse(text);
}

}  // namespace

TEST_CASE("the status socket answers one JSON document with every counter") {
    TempDir dir;
    const fs::path path = dir.path() / "control.sock";
    stats::counter("test.control.answers").store(42);
    auto server = control::StatusServer::start(path, [] { return std::string(R"({"passthrough_hosts":["a.example"]})"); });

    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK(S_ISSOCK(st.st_mode));
    CHECK((st.st_mode & 0777) == 0600);

    const nlohmann::json doc = query(path);
    CHECK(doc.at("counters").at("test.control.answers") == 42);
    CHECK(doc.at("passthrough_hosts")[0] == "a.example");
    CHECK(doc.at("pid").is_number());
    CHECK(doc.at("uptime_seconds").get<double>() >= 0);

    stats::counter("test.control.answers").store(43);
    CHECK(query(path).at("counters").at("test.control.answers") == 43);  // fresh per connection

    server.reset();
    CHECK_FALSE(fs::exists(path));  // removed at shutdown
}

TEST_CASE("a stale socket file is replaced; a live one or a non-socket is refused") {
    TempDir dir;
    const fs::path path = dir.path() / "control.sock";
    {
        // A socket file nobody listens on, as a crashed daemon leaves it.
        const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
        REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
        ::close(fd);
    }
    auto server = control::StatusServer::start(path);
    CHECK(query(path).contains("counters"));
    CHECK_THROWS_WITH(control::StatusServer::start(path), Catch::Contains("in use"));

    const fs::path file = dir.path() / "not-a-socket";
    std::ofstream(file) << "x";
    CHECK_THROWS_WITH(control::StatusServer::start(file), Catch::Contains("is not a socket"));
    CHECK_THROWS_AS(control::StatusServer::start(dir.path() / "missing" / "control.sock"), UserError);
}

TEST_CASE("an extra() that is not a JSON object is left out, the rest still answers") {
    TempDir dir;
    const fs::path path = dir.path() / "control.sock";
    auto server = control::StatusServer::start(path, [] { return std::string("not json"); });
    const nlohmann::json doc = query(path);
    CHECK(doc.contains("counters"));
}
