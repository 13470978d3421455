// cursor-proxy ca init | show: create the certificate authority and print
// what clients need to trust it.
#include "ca/authority.hpp"
#include "ca/key_file.hpp"
#include "ca/leaf_cache.hpp"
#include "ca/leaf_certificate.hpp"
#include "ca/x509_builder.hpp"
#include "cli/arg_parser.hpp"
#include "cli/commands.hpp"
#include "log/user_error.hpp"

#include <openssl/x509.h>

#include <fmt/core.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <optional>
#include <stdexcept>

namespace cursor_proxy::cli {
namespace {

constexpr std::string_view kUsage = R"(NAME
    cursor-proxy ca - create or show the certificate authority

SYNOPSIS
    cursor-proxy ca init [--dir DIR] [--key-type ecdsa-p256|rsa2048] [--force]
                         [--permit-domain DOMAIN]... [--common-name CN]
    cursor-proxy ca show [--dir DIR] [--json]
    cursor-proxy ca mint [--dir DIR] [--ip ADDRESS]... [HOST...]

    cursor-proxy ca <init|show|mint> --help shows the options of each.
)";

// The parsed arguments, or nothing when --help was asked for (and printed).
std::optional<ParsedArgs> parse_or_print_help(const ArgParser& parser, std::span<const std::string> args) {
    ParsedArgs parsed = parser.parse(args);
    if (!parsed.help_requested) return parsed;
    fmt::print("{}", parser.help());
    return std::nullopt;
}

std::string default_dir_text() { return ca::default_dir().string(); }

const char* kFiles = R"(    DIR/ca.crt    the CA certificate (PEM, 0644): install it where clients look for trust
    DIR/ca.key    the CA private key (PEM, 0600); the proxy refuses it if others can read it
    DIR/leaf.key  the key every minted leaf certificate shares (PEM, 0600)
    DIR/leaf.pub  its public half (PEM, 0644), for the SPKI pin that ca show prints)";

int init(std::span<const std::string> args) {
    ArgParser p("cursor-proxy ca init", "create the certificate authority");
    p.description(
        "    Creates a CA certificate (10 years, CA:TRUE, pathlen 0) and two private keys:\n"
        "    the CA's and the one shared by every leaf certificate the proxy mints.\n"
        "    Key files are written 0600 through a temporary file and a rename.");
    p.option("dir", "DIR", "Directory for the CA files (created 0700 if missing).", default_dir_text());
    p.option("key-type", "TYPE", "ecdsa-p256 or rsa2048, for the CA and the leaf key.", "ecdsa-p256");
    p.flag("force", "Replace an existing CA. Clients that trust the old one must trust the new ca.crt.");
    p.multi("permit-domain", "DOMAIN",
            "Name constraint: the CA may only vouch for DOMAIN and its subdomains (and never for an IP address).");
    p.option("common-name", "CN", "Subject CN of the CA certificate.", "cursor-proxy local CA");
    p.section("FILES", kFiles);
    p.section("EXAMPLES",
              "    cursor-proxy ca init --dir /var/lib/cursor-proxy \\\n"
              "        --permit-domain cursor.sh --permit-domain cursorapi.com");
    const auto parsed = parse_or_print_help(p, args);
    if (!parsed) return 0;
    const ParsedArgs& a = *parsed;
    ca::InitOptions options;
    options.dir = a.get("dir");
    const std::string key_type = a.get("key-type");
    if (key_type == "ecdsa-p256") options.key_type = ca::KeyType::ecdsa_p256;
    else if (key_type == "rsa2048") options.key_type = ca::KeyType::rsa2048;
    else throw UsageError(fmt::format("--key-type: '{}' is not one of ecdsa-p256, rsa2048", key_type));
    options.force = a.has("force");
    options.permitted_domains = a.all("permit-domain");
    options.common_name = a.get("common-name");
    ca::init_ca(options);
    fmt::print("created CA in {}\ntrust {} in your clients; cursor-proxy ca show --dir {} prints its details\n",
               options.dir.string(), (options.dir / ca::kCaCertFile).string(), options.dir.string());
    return 0;
}

// Only public files are read, so anyone who may read the directory (the
// launcher, a user) can print the pin without access to the private keys.
int show(std::span<const std::string> args) {
    ArgParser p("cursor-proxy ca show", "print the CA's details and the leaf key pin");
    p.description(
        "    Prints the CA certificate's subject, validity, SHA-256 fingerprint and name\n"
        "    constraints, and the base64 SHA-256 of the shared leaf key's SubjectPublicKeyInfo\n"
        "    with the matching Chromium/Electron flag --ignore-certificate-errors-spki-list.\n"
        "    Reads only ca.crt and leaf.pub.");
    p.option("dir", "DIR", "Directory holding the CA files.", default_dir_text());
    p.flag("json", "Print one JSON object instead of text.");
    p.section("FILES", kFiles);
    const auto parsed = parse_or_print_help(p, args);
    if (!parsed) return 0;
    const ParsedArgs& a = *parsed;
    const std::filesystem::path dir = a.get("dir");
    const std::filesystem::path cert_path = dir / ca::kCaCertFile;
    const std::filesystem::path pub_path = dir / ca::kLeafPublicKeyFile;
    std::error_code ec;
    if (!std::filesystem::exists(cert_path, ec)) {
        throw UserError(fmt::format("no CA in {}: {} is missing; run cursor-proxy ca init --dir {}", dir.string(),
                                    cert_path.string(), dir.string()));
    }
    bssl::UniquePtr<X509> cert;
    bssl::UniquePtr<EVP_PKEY> leaf_public;
    try {
        cert = ca::parse_certificate_pem(ca::read_file(cert_path, "CA certificate"));
        leaf_public = ca::parse_public_key_pem(ca::read_file(pub_path, "leaf public key"));
    } catch (const std::runtime_error& e) {
        if (dynamic_cast<const UserError*>(&e) != nullptr) throw;
        throw UserError(fmt::format("cannot parse the CA files in {} ({}); recreate them with cursor-proxy ca init "
                                    "--force --dir {}",
                                    dir.string(), e.what(), dir.string()));
    }
    const std::string spki = ca::spki_sha256_base64(leaf_public.get());
    const std::string flag = "--ignore-certificate-errors-spki-list=" + spki;
    const auto domains = ca::permitted_dns_names(cert.get());
    const std::string subject = ca::one_line_name(X509_get_subject_name(cert.get()));
    const std::string not_before = ca::format_utc(ca::to_time_point(X509_get0_notBefore(cert.get())));
    const std::string not_after = ca::format_utc(ca::to_time_point(X509_get0_notAfter(cert.get())));
    const std::string fingerprint = ca::sha256_fingerprint(cert.get());

    if (a.has("json")) {
        nlohmann::json out = {
            {"dir", dir.string()},
            {"certificate", cert_path.string()},
            {"subject", subject},
            {"not_before", not_before},
            {"not_after", not_after},
            {"sha256_fingerprint", fingerprint},
            {"permitted_domains", domains},
            {"leaf_spki_sha256", spki},
            {"chromium_flag", flag},
        };
        fmt::print("{}\n", out.dump(2));
        return 0;
    }
    fmt::print("Certificate:       {}\n", cert_path.string());
    fmt::print("Subject:           {}\n", subject);
    fmt::print("Not before:        {}\n", not_before);
    fmt::print("Not after:         {}\n", not_after);
    fmt::print("SHA-256:           {}\n", fingerprint);
    fmt::print("Name constraints:  {}\n", domains.empty() ? std::string("none") : fmt::format("{}", fmt::join(domains, ", ")));
    fmt::print("Leaf key SPKI:     {}  (base64 SHA-256)\n", spki);
    fmt::print("Chromium/Electron: {}\n", flag);
    return 0;
}

// Prints the leaf the proxy would present for these names: for checking a
// CA with other tools (openssl verify) and for debugging trust problems.
int mint(std::span<const std::string> args) {
    ArgParser p("cursor-proxy ca mint", "print the leaf certificate the proxy would mint");
    p.description(
        "    Signs a leaf certificate for HOST names and IP addresses exactly as the proxy\n"
        "    does on first use (first HOST is the SNI) and prints it as PEM. Its key is the\n"
        "    shared leaf.key. Needs read access to ca.key and leaf.key.");
    p.option("dir", "DIR", "Directory holding the CA files.", default_dir_text());
    p.multi("ip", "ADDRESS", "IP address SAN (the original destination when there is no SNI).");
    p.rest("HOST", "DNS names; the first one is treated as the SNI.");
    const auto parsed = parse_or_print_help(p, args);
    if (!parsed) return 0;
    const ParsedArgs& a = *parsed;
    if (a.positionals.empty() && !a.has("ip")) throw UsageError("ca mint: give at least one HOST or --ip ADDRESS");
    ca::LeafRequest request;
    if (!a.positionals.empty()) request.sni = a.positionals.front();
    request.dns_names = a.positionals;
    request.ip_addresses = a.all("ip");
    for (const std::string& ip : request.ip_addresses) {
        if (!ca::is_ip_address(ip)) throw UsageError(fmt::format("--ip: '{}' is not an IP address", ip));
    }
    const ca::Authority authority = ca::Authority::load(a.get("dir"));
    try {
        auto leaf = ca::mint_leaf(authority, ca::leaf_names(request, ca::permitted_dns_names(authority.certificate())), {});
        fmt::print("{}", ca::certificate_pem(leaf.get()));
    } catch (const std::runtime_error& e) {
        throw UserError(fmt::format("ca mint: {}", e.what()));
    }
    return 0;
}

}  // namespace

int ca_command(std::span<const std::string> args) {
    if (args.empty()) {
        fmt::print(stderr, "{}", kUsage);
        return 2;
    }
    const std::string& sub = args[0];
    std::span<const std::string> rest = args.subspan(1);
    if (sub == "init") return init(rest);
    if (sub == "show") return show(rest);
    if (sub == "mint") return mint(rest);
    if (sub == "--help" || sub == "-h" || sub == "help") {
        fmt::print("{}", kUsage);
        return 0;
    }
    throw UsageError(fmt::format("ca: unknown subcommand '{}' (expected init, show or mint; see cursor-proxy ca --help)", sub));
}

}  // namespace cursor_proxy::cli
