#pragma once
// The local certificate authority: files on disk, created by `ca init`, loaded
// by the daemon. Layout of a CA directory (all written atomically):
//   ca.crt    the CA certificate (PEM), 0644: this is what users trust
//   ca.key    the CA private key (PEM), 0600: the daemon refuses it if group
//             or others can read it
//   leaf.key  the key pair every minted leaf certificate shares (PEM), 0600;
//             separate from ca.key so Electron's
//             --ignore-certificate-errors-spki-list can pin exactly it
#include <openssl/base.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace cursor_proxy::ca {

// File names inside a CA directory. leaf.pub is the public half of leaf.key
// (0644) so `ca show` and the launcher can print the SPKI pin without
// reading a private key.
inline constexpr const char* kCaCertFile = "ca.crt";
inline constexpr const char* kCaKeyFile = "ca.key";
inline constexpr const char* kLeafKeyFile = "leaf.key";
inline constexpr const char* kLeafPublicKeyFile = "leaf.pub";

// $STATE_DIRECTORY (set by systemd's StateDirectory=) if set, else
// ./cursor-proxy-data. When the working directory is under /tmp or /var/tmp
// (world-writable, cleaned by others: no place for a CA key or captures) it
// is $XDG_STATE_HOME/cursor-proxy, else ~/.local/state/cursor-proxy instead.
// Shared by `ca`, `run`, `captures` and `status`.
std::filesystem::path default_dir();

enum class KeyType { ecdsa_p256, rsa2048 };

struct InitOptions {
    std::filesystem::path dir;
    KeyType key_type = KeyType::ecdsa_p256;
    bool force = false;                         // overwrite an existing CA
    std::string common_name = "cursor-proxy local CA";
    std::vector<std::string> permitted_domains; // X.509 name constraints (DNS); empty: none
};

// Creates ca.crt, ca.key, leaf.key and leaf.pub in options.dir (created 0700 if
// missing). Throws UserError with a fix-it message (exists without --force,
// directory not writable, ...).
void init_ca(const InitOptions& options);

class Authority {
public:
    // Loads ca.crt, ca.key and leaf.key from dir. Throws UserError if a file is
    // missing ("run cursor-proxy ca init --dir D"), unparsable, or a key file is
    // readable by group/others ("mode 0644 is readable by others; run chmod 600 F").
    static Authority load(const std::filesystem::path& dir);

    X509* certificate() const { return cert_.get(); }
    EVP_PKEY* key() const { return key_.get(); }
    EVP_PKEY* leaf_key() const { return leaf_key_.get(); }

    std::string subject() const;                   // one line, "CN=..., O=..."
    std::string sha256_fingerprint() const;        // "AB:CD:..." of the DER cert
    std::string leaf_spki_sha256_base64() const;   // for --ignore-certificate-errors-spki-list
    std::chrono::system_clock::time_point not_before() const;
    std::chrono::system_clock::time_point not_after() const;
    const std::filesystem::path& dir() const { return dir_; }
    // True when ca.crt carries name constraints; leaves then leave out IP
    // SANs, which the CA's constraints exclude.
    bool has_name_constraints() const;

private:
    std::filesystem::path dir_;
    bssl::UniquePtr<X509> cert_;
    bssl::UniquePtr<EVP_PKEY> key_;
    bssl::UniquePtr<EVP_PKEY> leaf_key_;
};

}  // namespace cursor_proxy::ca
