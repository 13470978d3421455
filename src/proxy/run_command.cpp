// cursor-proxy run: options, startup (CA, trust store, capture, status
// socket, listeners), sd_notify, and the io_context loop until a signal.
#include "accept/listen_address.hpp"
#include "ca/authority.hpp"
#include "ca/leaf_cache.hpp"
#include "capture/capture_service.hpp"
#include "cli/arg_parser.hpp"
#include "cli/commands.hpp"
#include "control/status_server.hpp"
#include "log/log.hpp"
#include "log/user_error.hpp"
#include "proxy/proxy_config.hpp"
#include "proxy/server.hpp"
#include "proxy/systemd_notify.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <sys/resource.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>

namespace cursor_proxy::cli {
namespace {

namespace fs = std::filesystem;
constexpr std::string_view kDefaultConnectListener = "127.0.0.1:8080";

ArgParser make_parser() {
    ArgParser p("cursor-proxy run", "Run the intercepting proxy.");
    p.description(
        "Accepts TLS connections, either redirected by nftables (--listen, transparent) or asked for with HTTP "
        "CONNECT (--listen-connect, explicit), connects to the real server first (same SNI, the client's ALPN offer, "
        "certificate verified), then answers the client with a certificate minted by the local CA for that host and "
        "relays HTTP/2 or HTTP/1.1, reporting every request to the capture. Hosts matching --passthrough, and bytes "
        "that are not TLS, are spliced through untouched.\n\n"
        "With no options: an explicit CONNECT proxy on 127.0.0.1:8080, the CA in the data directory (created if "
        "missing) and captures under <data dir>/captures.");
    p.multi("listen", "ADDR:PORT", "Transparent listener for connections redirected by nftables; the original "
                                   "destination comes from SO_ORIGINAL_DST. May name an address that does not exist "
                                   "yet (IP_FREEBIND). Repeatable.");
    p.multi("listen-connect", "ADDR:PORT", "Explicit HTTP CONNECT listener (for apps with a proxy setting, and tests). "
                                           "Default 127.0.0.1:8080 when neither --listen nor --listen-connect is given. "
                                           "Port 0 picks a free port (printed at start).");
    p.option("data-dir", "DIR", "State directory: the CA (unless --ca-dir), captures, status socket. "
                                "Default: $STATE_DIRECTORY, else ./cursor-proxy-data (in a working directory under "
                                "/tmp: ~/.local/state/cursor-proxy, or $XDG_STATE_HOME/cursor-proxy).");
    p.option("ca-dir", "DIR", "Directory holding ca.crt, ca.key and leaf.key (default: the data directory). "
                              "Created with a new CA when it holds none.");
    p.option("upstream-ca", "FILE", "Trust these PEM CA certificates for upstream servers instead of the system "
                                    "store ($SSL_CERT_FILE, else /etc/ssl/certs/ca-certificates.crt).");
    p.option("upstream-ca-dir", "DIR", "Trust the hashed CA certificates in DIR for upstream servers (c_rehash layout).");
    p.multi("insecure-upstream", "HOST", "Do not verify the upstream certificate of HOST (glob). For debugging only; "
                                         "logged loudly. Repeatable.");
    p.multi("passthrough", "GLOB", "Never intercept hosts whose SNI matches GLOB (e.g. '*.googleapis.com'); their "
                                   "bytes pass untouched. Repeatable.");
    p.option("auto-passthrough-after", "N", "After N client handshakes to one host fail because the client refuses "
                                            "our certificate, pass that host through untouched (0: never).", "3");
    p.option("keylog", "FILE", "Append NSS key-log lines (both legs) for Wireshark. Also: $SSLKEYLOGFILE. "
                               "Anyone who reads FILE can decrypt the traffic.");
    p.option("max-connections", "N", "Connections handled at once; more wait in the accept queue. Each needs two "
                                      "file descriptors: keep LimitNOFILE= above 2N+64.", "4096");
    p.option("handshake-timeout", "SECONDS", "Time from accept until both TLS handshakes are done.", "10");
    p.option("idle-timeout", "SECONDS", "Close a connection after this long without a byte either way "
                                        "(HTTP/2: without streams or frames).", "600");
    p.option("shutdown-grace", "SECONDS", "On SIGTERM/SIGINT, time open connections get before the proxy exits.", "10");
    p.option("leaf-cache-size", "N", "Minted certificates kept in memory (LRU).", "1024");
    p.option("log-level", "LEVEL", "debug, info, warning or error.", "warning");
    p.flag("verbose", "Log level info; -vv (or --verbose twice): debug.");
    capture::add_run_options(p);
    p.section("EXAMPLES",
              "cursor-proxy run\n"
              "    curl --proxy http://127.0.0.1:8080 --cacert ./cursor-proxy-data/ca.crt https://example.com/\n"
              "cursor-proxy run --listen 10.200.1.1:8443 --data-dir /var/lib/cursor-proxy -v\n"
              "cursor-proxy run --listen-connect 127.0.0.1:0 --upstream-ca test-ca.pem --passthrough '*.example.org'");
    p.section("SIGNALS", "SIGTERM, SIGINT: stop accepting, let open connections finish within --shutdown-grace, exit. "
                         "A second signal exits at once.");
    return p;
}

// -v and -vv are shorthands the shared parser does not know; map them here.
std::vector<std::string> expand_verbose(std::span<const std::string> args) {
    std::vector<std::string> out;
    for (const auto& arg : args) {
        if (arg == "-v") out.push_back("--verbose");
        else if (arg == "-vv") out.insert(out.end(), {"--verbose", "--verbose"});
        else out.push_back(arg);
    }
    return out;
}

log::Level log_level(const ParsedArgs& args) {
    const auto verbose = args.values.count("verbose") ? args.values.find("verbose")->second.size() : 0;
    if (verbose >= 2) return log::Level::debug;
    if (verbose == 1) return log::Level::info;
    const std::string level = args.get("log-level");
    if (level == "debug") return log::Level::debug;
    if (level == "info") return log::Level::info;
    if (level == "warning") return log::Level::warning;
    if (level == "error") return log::Level::error;
    throw UsageError(fmt::format("--log-level {}: expected debug, info, warning or error", level));
}

proxy::ProxyConfig config_from(const ParsedArgs& args) {
    proxy::ProxyConfig config;
    for (const auto& text : args.all("listen")) {
        config.listen.push_back({accept::parse_endpoint("listen", text), accept::ListenMode::transparent});
    }
    auto connect = args.all("listen-connect");
    if (config.listen.empty() && connect.empty()) connect.emplace_back(kDefaultConnectListener);
    for (const auto& text : connect) {
        config.listen.push_back({accept::parse_endpoint("listen-connect", text), accept::ListenMode::connect});
    }
    config.max_connections = static_cast<std::size_t>(args.get_int("max-connections", 1, 1'000'000));
    config.handshake_timeout = std::chrono::seconds(args.get_int("handshake-timeout", 1, 3600));
    config.idle_timeout = std::chrono::seconds(args.get_int("idle-timeout", 1, 7 * 24 * 3600));
    config.shutdown_grace = std::chrono::seconds(args.get_int("shutdown-grace", 0, 3600));
    config.http1.idle_timeout = config.idle_timeout;
    config.http2.idle_timeout = config.idle_timeout;
    return config;
}

// Creates the CA on first run, as `cursor-proxy ca init` would, and says so.
ca::Authority load_or_create_ca(const fs::path& dir) {
    if (!fs::exists(dir / ca::kCaCertFile) && !fs::exists(dir / ca::kCaKeyFile)) {
        ca::InitOptions init;
        init.dir = dir;
        ca::init_ca(init);
        fmt::print(stderr, "cursor-proxy: created a new certificate authority in {} (clients must trust {})\n",
                   dir.string(), (dir / ca::kCaCertFile).string());
    }
    return ca::Authority::load(dir);
}

void warn_if_few_descriptors(std::size_t max_connections) {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
    const auto needed = 2 * max_connections + 64;
    if (limit.rlim_cur < needed) {
        log::warning("proxy", "the open-file limit is below what --max-connections needs; raise LimitNOFILE= "
                              "(systemd) or ulimit -n, or lower --max-connections",
                     {{"limit", limit.rlim_cur}, {"needed", needed}});
    }
}

fs::path status_socket_path(const fs::path& data_dir) {
    // Where `cursor-proxy status` looks (capture/cli/default_paths.hpp).
    const char* runtime = std::getenv("RUNTIME_DIRECTORY");
    return (runtime != nullptr && *runtime != '\0' ? fs::path(runtime) : data_dir) / "status.sock";
}

void print_how_to_use(const std::vector<accept::ListenAddress>& listen,
                      const std::vector<asio::ip::tcp::endpoint>& bound, const fs::path& ca_cert) {
    for (std::size_t i = 0; i < bound.size(); ++i) {
        const auto where = accept::to_string(bound[i]);
        if (listen[i].mode == accept::ListenMode::connect) {
            fmt::print(stderr, "cursor-proxy: listening on {} (HTTP CONNECT); try:\n"
                               "    curl --proxy http://{} --cacert {} https://example.com/\n",
                       where, where, ca_cert.string());
        } else {
            fmt::print(stderr, "cursor-proxy: listening on {} (transparent; redirect traffic here with nftables)\n", where);
        }
    }
}

}  // namespace

int run_command(std::span<const std::string> raw_args) {
    const ArgParser parser = make_parser();
    const auto expanded = expand_verbose(raw_args);
    const ParsedArgs args = parser.parse(expanded);
    if (args.help_requested) {
        fmt::print("{}", parser.help());
        return 0;
    }
    log::set_level(log_level(args));
    const proxy::ProxyConfig config = config_from(args);
    const auto auto_after = static_cast<unsigned>(args.get_int("auto-passthrough-after", 0, 1000));
    ca::LeafOptions leaf_options;
    leaf_options.cache_capacity = static_cast<std::size_t>(args.get_int("leaf-cache-size", 1, 1'000'000));

    const fs::path data_dir = args.has("data-dir") ? fs::path(args.get("data-dir")) : ca::default_dir();
    std::error_code mkdir_error;
    // A data directory we create holds the CA key and captures: owner only.
    if (fs::create_directories(data_dir, mkdir_error)) {
        fs::permissions(data_dir, fs::perms::owner_all, fs::perm_options::replace, mkdir_error);
    }
    if (mkdir_error) {
        throw UserError(fmt::format("cannot create data directory {}: {} (choose one with --data-dir)",
                                    data_dir.string(), mkdir_error.message()));
    }
    const fs::path ca_dir = args.has("ca-dir") ? fs::path(args.get("ca-dir")) : data_dir;
    const ca::Authority authority = load_or_create_ca(ca_dir);
    ca::LeafCache leaves(authority, leaf_options);

    std::optional<tls::KeyLog> keylog;
    const char* env_keylog = std::getenv("SSLKEYLOGFILE");
    if (args.has("keylog")) keylog.emplace(args.get("keylog"));
    else if (env_keylog != nullptr && *env_keylog != '\0') keylog.emplace(env_keylog);
    tls::KeyLog* keylog_ptr = keylog ? &*keylog : nullptr;

    tls::UpstreamTrust trust{args.get("upstream-ca"), args.get("upstream-ca-dir"), args.all("insecure-upstream")};
    tls::UpstreamTls upstream_tls(trust, keylog_ptr);
    tls::ClientTls client_tls(keylog_ptr);
    tls::PassthroughPolicy passthrough(args.all("passthrough"), auto_after);
    warn_if_few_descriptors(config.max_connections);

    auto capture = capture::CaptureService::start(args, data_dir / "captures");
    struct CaptureStopper {
        capture::CaptureService& service;
        ~CaptureStopper() { service.stop(); }
    } stop_capture{*capture};

    // After the capture (destroyed before it stops): relays still open when
    // the loop ends report their streams while the io_context is destroyed.
    asio::io_context io(1);
    proxy::Server server(io, config);
    proxy::SessionContext context{config, authority, leaves, upstream_tls, client_tls, passthrough,
                                  capture->observer(), server.endpoints()};

    const auto status = control::StatusServer::start(status_socket_path(data_dir), [&passthrough] {
        return nlohmann::json{{"learned_passthrough_hosts", passthrough.learned_hosts()}}.dump();
    });

    server.start(context, [](std::string_view why) { proxy::notify_stopping(why); });
    print_how_to_use(config.listen, server.endpoints(), authority.dir() / ca::kCaCertFile);
    std::vector<std::string> where;
    for (const auto& endpoint : server.endpoints()) where.push_back(accept::to_string(endpoint));
    proxy::notify_ready(fmt::format("listening on {}", fmt::join(where, ", ")));
    io.run();
    log::info("proxy", "stopped");
    return 0;
}

}  // namespace cursor_proxy::cli
