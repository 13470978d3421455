#include "cli/arg_parser.hpp"

#include "log/user_error.hpp"

#include <fmt/format.h>

#include <charconv>

namespace cursor_proxy::cli {

bool ParsedArgs::has(std::string_view name) const { return values.find(name) != values.end(); }

std::string ParsedArgs::get(std::string_view name) const {
    auto it = values.find(name);
    return it == values.end() || it->second.empty() ? std::string() : it->second.back();
}

std::vector<std::string> ParsedArgs::all(std::string_view name) const {
    auto it = values.find(name);
    return it == values.end() ? std::vector<std::string>{} : it->second;
}

long long ParsedArgs::get_int(std::string_view name, long long min, long long max) const {
    const std::string text = get(name);
    long long value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size()) {
        throw UsageError(fmt::format("--{}: '{}' is not a whole number", name, text));
    }
    if (value < min || value > max) {
        throw UsageError(fmt::format("--{}: {} is out of range ({} to {})", name, value, min, max));
    }
    return value;
}

ArgParser::ArgParser(std::string command, std::string summary)
    : command_(std::move(command)), summary_(std::move(summary)) {
    flag("help", "Show this help and exit.");
}

ArgParser& ArgParser::description(std::string text) { description_ = std::move(text); return *this; }
ArgParser& ArgParser::section(std::string title, std::string text) {
    sections_.emplace_back(std::move(title), std::move(text));
    return *this;
}
ArgParser& ArgParser::flag(std::string name, std::string help) {
    specs_.push_back({std::move(name), "", std::move(help), "", Kind::flag});
    return *this;
}
ArgParser& ArgParser::option(std::string name, std::string metavar, std::string help, std::string default_value) {
    specs_.push_back({std::move(name), std::move(metavar), std::move(help), std::move(default_value), Kind::option});
    return *this;
}
ArgParser& ArgParser::multi(std::string name, std::string metavar, std::string help) {
    specs_.push_back({std::move(name), std::move(metavar), std::move(help), "", Kind::multi});
    return *this;
}
ArgParser& ArgParser::positional(std::string name, std::string help, bool required) {
    positionals_.push_back({std::move(name), std::move(help), required});
    return *this;
}
ArgParser& ArgParser::rest(std::string name, std::string help) {
    rest_ = Positional{std::move(name), std::move(help), false};
    return *this;
}

const ArgParser::Spec* ArgParser::find(std::string_view name) const {
    for (const Spec& s : specs_) {
        if (s.name == name) return &s;
    }
    return nullptr;
}

ParsedArgs ArgParser::parse(std::span<const std::string> args) const {
    ParsedArgs out;
    bool options_done = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if (options_done || arg.size() < 2 || arg.compare(0, 2, "--") != 0) {
            if (arg == "-h" && !options_done) { out.help_requested = true; continue; }
            out.positionals.push_back(arg);
            continue;
        }
        if (arg == "--") { options_done = true; continue; }
        std::string_view body = std::string_view(arg).substr(2);
        std::optional<std::string> inline_value;
        if (auto eq = body.find('='); eq != std::string_view::npos) {
            inline_value = std::string(body.substr(eq + 1));
            body = body.substr(0, eq);
        }
        const Spec* spec = find(body);
        if (spec == nullptr) {
            throw UsageError(fmt::format("{}: unknown option --{} (see --help)", command_, body));
        }
        if (spec->kind == Kind::flag) {
            if (inline_value) throw UsageError(fmt::format("--{} takes no value", body));
            if (spec->name == "help") out.help_requested = true;
            out.values[spec->name].push_back("1");
            continue;
        }
        if (!inline_value) {
            if (i + 1 >= args.size()) throw UsageError(fmt::format("--{} needs a value ({})", body, spec->metavar));
            inline_value = args[++i];
        }
        out.values[spec->name].push_back(*inline_value);
    }
    if (out.help_requested) return out;

    std::size_t required = 0;
    for (const Positional& p : positionals_) required += p.required ? 1 : 0;
    if (out.positionals.size() < required) {
        throw UsageError(fmt::format("{}: missing <{}> (see --help)", command_,
                                     positionals_[out.positionals.size()].name));
    }
    if (!rest_ && out.positionals.size() > positionals_.size()) {
        throw UsageError(fmt::format("{}: unexpected argument '{}' (see --help)", command_,
                                     out.positionals[positionals_.size()]));
    }
    for (const Spec& s : specs_) {
        if (s.kind == Kind::option && !s.default_value.empty() && !out.has(s.name)) {
            out.values[s.name].push_back(s.default_value);
        }
    }
    return out;
}

std::string ArgParser::help() const {
    std::string usage = command_;
    if (!specs_.empty()) usage += " [OPTIONS]";
    for (const Positional& p : positionals_) usage += p.required ? fmt::format(" <{}>", p.name) : fmt::format(" [{}]", p.name);
    if (rest_) usage += fmt::format(" [{}...]", rest_->name);

    std::string out = fmt::format("NAME\n    {} - {}\n\nSYNOPSIS\n    {}\n", command_, summary_, usage);
    if (!description_.empty()) out += fmt::format("\nDESCRIPTION\n{}\n", description_);
    if (!positionals_.empty() || rest_) {
        out += "\nARGUMENTS\n";
        for (const Positional& p : positionals_) out += fmt::format("    {}\n        {}\n", p.name, p.help);
        if (rest_) out += fmt::format("    {}...\n        {}\n", rest_->name, rest_->help);
    }
    out += "\nOPTIONS\n";
    for (const Spec& s : specs_) {
        std::string head = "--" + s.name;
        if (s.kind != Kind::flag) head += " " + s.metavar;
        std::string help = s.help;
        if (s.kind == Kind::multi) help += " May be given more than once.";
        if (!s.default_value.empty()) help += fmt::format(" Default: {}.", s.default_value);
        out += fmt::format("    {}\n        {}\n", head, help);
    }
    for (const auto& [title, text] : sections_) out += fmt::format("\n{}\n{}\n", title, text);
    return out;
}

}  // namespace cursor_proxy::cli
