#pragma once
// A small command-line parser shared by every subcommand, so options look and
// behave the same everywhere: --name VALUE, --name=VALUE, repeated options,
// positionals, and a man-page-like --help built from the declarations.
//
//   ArgParser p("cursor-proxy ca init", "Create the certificate authority.");
//   p.option("dir", "DIR", "Where to write ca.crt and ca.key.", "/var/lib/cursor-proxy");
//   p.flag("force", "Overwrite an existing CA.");
//   p.multi("permit-domain", "DOMAIN", "Name constraint; may be repeated.");
//   ParsedArgs a = p.parse(args);          // throws UsageError
//   if (a.help_requested) { fmt::print("{}", p.help()); return 0; }
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cursor_proxy::cli {

struct ParsedArgs {
    bool help_requested = false;
    std::map<std::string, std::vector<std::string>, std::less<>> values;  // by option name
    std::vector<std::string> positionals;

    bool has(std::string_view name) const;
    // Last value given, else the declared default ("" if none).
    std::string get(std::string_view name) const;
    std::vector<std::string> all(std::string_view name) const;
    // Parses the value as an integer in [min, max]; UsageError otherwise.
    long long get_int(std::string_view name, long long min, long long max) const;
};

class ArgParser {
public:
    ArgParser(std::string command, std::string summary);

    // Free text printed under DESCRIPTION, and extra sections (EXAMPLES, FILES...).
    ArgParser& description(std::string text);
    ArgParser& section(std::string title, std::string text);

    ArgParser& flag(std::string name, std::string help);
    ArgParser& option(std::string name, std::string metavar, std::string help, std::string default_value = "");
    ArgParser& multi(std::string name, std::string metavar, std::string help);
    ArgParser& positional(std::string name, std::string help, bool required = true);
    // Accept any number of trailing positionals (after the declared ones).
    ArgParser& rest(std::string name, std::string help);

    ParsedArgs parse(std::span<const std::string> args) const;
    std::string help() const;

private:
    enum class Kind { flag, option, multi };
    struct Spec {
        std::string name, metavar, help, default_value;
        Kind kind;
    };
    struct Positional {
        std::string name, help;
        bool required;
    };
    const Spec* find(std::string_view name) const;

    std::string command_, summary_, description_;
    std::vector<std::pair<std::string, std::string>> sections_;
    std::vector<Spec> specs_;
    std::vector<Positional> positionals_;
    std::optional<Positional> rest_;
};

}  // namespace cursor_proxy::cli
