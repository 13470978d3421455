#include "ca/authority.hpp"

#include "ca/key_file.hpp"
#include "ca/x509_builder.hpp"
#include "log/log.hpp"
#include "log/user_error.hpp"

#include <openssl/nid.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <fmt/format.h>

#include <cstdlib>
#include <stdexcept>
#include <system_error>
#include <sys/stat.h>

namespace cursor_proxy::ca {
namespace {

using std::chrono::hours;
using Clock = std::chrono::system_clock;

constexpr hours kCaValidity{24 * 3650};
// Backdated so a client whose clock runs a little behind still accepts it.
constexpr hours kCaBackdate{24};

void validate(const InitOptions& options) {
    if (options.dir.empty()) throw UsageError("ca init: the CA directory must not be empty (--dir)");
    if (options.common_name.empty() || options.common_name.size() > 64) {
        throw UsageError(fmt::format("--common-name: '{}' must be 1 to 64 characters", options.common_name));
    }
    for (const std::string& domain : options.permitted_domains) {
        std::string_view bare = domain;
        if (!bare.empty() && bare.front() == '.') bare.remove_prefix(1);  // ".example.com": subdomains only
        if (!is_dns_name(bare, false)) {
            throw UsageError(fmt::format("--permit-domain: '{}' is not a DNS name (example: --permit-domain cursor.sh)",
                                         domain));
        }
    }
}

void refuse_to_overwrite(const std::filesystem::path& dir) {
    for (const char* name : {kCaCertFile, kCaKeyFile, kLeafKeyFile, kLeafPublicKeyFile}) {
        std::error_code ec;
        if (std::filesystem::exists(dir / name, ec)) {
            throw UserError(fmt::format(
                "a CA already exists in {} ({} is there); pass --force to replace it, then make every client "
                "trust the new {}",
                dir.string(), (dir / name).string(), (dir / kCaCertFile).string()));
        }
    }
}

void make_directory(const std::filesystem::path& dir) {
    std::error_code ec;
    if (std::filesystem::exists(dir, ec)) {
        if (!std::filesystem::is_directory(dir, ec)) {
            throw UserError(fmt::format("cannot create the CA in {}: it exists and is not a directory", dir.string()));
        }
        return;
    }
    if (!std::filesystem::create_directories(dir, ec) || ::chmod(dir.c_str(), 0700) != 0) {
        throw UserError(fmt::format("cannot create the CA directory {}: {}", dir.string(),
                                    ec ? ec.message() : std::system_category().message(errno)));
    }
}

bssl::UniquePtr<X509> make_ca_certificate(const InitOptions& options, EVP_PKEY* key) {
    const auto now = Clock::now();
    auto cert = new_certificate(key, now - kCaBackdate, now + kCaValidity);
    set_subject(cert.get(), options.common_name, "cursor-proxy");
    if (!X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get()))) {
        throw std::runtime_error("X509_set_issuer_name failed: " + ssl_error_text());
    }
    // pathlen:0: this CA signs leaves only, never another CA.
    add_extension(cert.get(), cert.get(), NID_basic_constraints, "critical,CA:TRUE,pathlen:0");
    add_extension(cert.get(), cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature");
    add_extension(cert.get(), cert.get(), NID_subject_key_identifier, "hash");
    if (!options.permitted_domains.empty()) add_name_constraints(cert.get(), options.permitted_domains);
    sign(cert.get(), key);
    return cert;
}

// Reads and parses one file of the CA directory, turning parse failures into
// a message that says which file and how to recover.
template <typename Parse>
auto load_part(const std::filesystem::path& dir, const char* name, std::string_view what, Parse parse) {
    const std::filesystem::path path = dir / name;
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
        throw UserError(fmt::format("no CA in {}: {} is missing; run cursor-proxy ca init --dir {}", dir.string(),
                                    path.string(), dir.string()));
    }
    const std::string pem = read_file(path, what);
    try {
        return parse(pem);
    } catch (const std::runtime_error& e) {
        throw UserError(fmt::format("cannot parse {} {} ({}); recreate the CA with cursor-proxy ca init --force --dir {}",
                                    what, path.string(), e.what(), dir.string()));
    }
}

}  // namespace

std::filesystem::path default_dir() {
    const char* state = std::getenv("STATE_DIRECTORY");
    // systemd may pass several directories separated by ':'; the first is ours.
    if (state != nullptr && *state != '\0') return std::string(state).substr(0, std::string(state).find(':'));
    std::error_code error;
    const auto cwd = std::filesystem::weakly_canonical(std::filesystem::current_path(error), error);
    const std::string here = cwd.string() + "/";
    if (here.starts_with("/tmp/") || here.starts_with("/var/tmp/")) {
        const char* xdg = std::getenv("XDG_STATE_HOME");
        if (xdg != nullptr && *xdg == '/') return std::filesystem::path(xdg) / "cursor-proxy";
        const char* home = std::getenv("HOME");
        if (home != nullptr && *home == '/') return std::filesystem::path(home) / ".local/state/cursor-proxy";
    }
    return "cursor-proxy-data";
}

void init_ca(const InitOptions& options) {
    validate(options);
    if (!options.force) refuse_to_overwrite(options.dir);
    make_directory(options.dir);

    auto ca_key = generate_key(options.key_type);
    auto leaf_key = generate_key(options.key_type);
    auto cert = make_ca_certificate(options, ca_key.get());

    // Secrets first, the certificate last: a directory holding ca.crt is complete.
    write_file_atomically(options.dir / kLeafKeyFile, private_key_pem(leaf_key.get()), 0600);
    write_file_atomically(options.dir / kCaKeyFile, private_key_pem(ca_key.get()), 0600);
    write_file_atomically(options.dir / kLeafPublicKeyFile, public_key_pem(leaf_key.get()), 0644);
    write_file_atomically(options.dir / kCaCertFile, certificate_pem(cert.get()), 0644);
    log::info("ca", "created CA", {{"dir", options.dir.string()}, {"subject", one_line_name(X509_get_subject_name(cert.get()))}});
}

Authority Authority::load(const std::filesystem::path& dir) {
    Authority out;
    out.dir_ = dir;
    out.cert_ = load_part(dir, kCaCertFile, "CA certificate", parse_certificate_pem);
    require_owner_only(dir / kCaKeyFile, "CA key");
    out.key_ = load_part(dir, kCaKeyFile, "CA key", parse_private_key_pem);
    require_owner_only(dir / kLeafKeyFile, "leaf key");
    out.leaf_key_ = load_part(dir, kLeafKeyFile, "leaf key", parse_private_key_pem);

    if (!X509_check_private_key(out.cert_.get(), out.key_.get())) {
        ssl_error_text();  // clear the queue
        throw UserError(fmt::format("{} does not belong to {}; recreate the CA with cursor-proxy ca init --force --dir {}",
                                    (dir / kCaKeyFile).string(), (dir / kCaCertFile).string(), dir.string()));
    }
    if (X509_check_ca(out.cert_.get()) == 0) {
        throw UserError(fmt::format("{} is not a CA certificate; recreate it with cursor-proxy ca init --force --dir {}",
                                    (dir / kCaCertFile).string(), dir.string()));
    }
    const auto left = out.not_after() - Clock::now();
    if (left < hours(24 * 30)) {
        log::warning("ca", "CA certificate expires soon or has expired; recreate it with ca init --force",
                     {{"file", (dir / kCaCertFile).string()}, {"not_after", format_utc(out.not_after())}});
    }
    return out;
}

std::string Authority::subject() const { return one_line_name(X509_get_subject_name(cert_.get())); }
std::string Authority::sha256_fingerprint() const { return ca::sha256_fingerprint(cert_.get()); }
std::string Authority::leaf_spki_sha256_base64() const { return spki_sha256_base64(leaf_key_.get()); }
Clock::time_point Authority::not_before() const { return to_time_point(X509_get0_notBefore(cert_.get())); }
Clock::time_point Authority::not_after() const { return to_time_point(X509_get0_notAfter(cert_.get())); }

bool Authority::has_name_constraints() const {
    return X509_get_ext_by_NID(cert_.get(), NID_name_constraints, -1) >= 0;
}

}  // namespace cursor_proxy::ca
