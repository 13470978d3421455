#pragma once
// A private temporary directory for store tests, removed at scope exit. Not
// under /tmp: capture refuses /tmp on purpose, so tests use the build dir.
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <stdlib.h>

namespace capture_test {

class TempDir {
public:
    TempDir() {
        std::string pattern = (std::filesystem::current_path() / "capture-test-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed in " + pattern);
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::permissions(path_, std::filesystem::perms::owner_all, ec);
        std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

// Every line of every .jsonl file in dir, in file-name order, parsed.
inline std::vector<nlohmann::json> read_lines(const std::filesystem::path& dir) {
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
        if (e.path().extension() == ".jsonl") files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    std::vector<nlohmann::json> out;
    for (const auto& f : files) {
        std::ifstream in(f);
        for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line));
    }
    return out;
}

}  // namespace capture_test
