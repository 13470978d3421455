#pragma once
// Helpers for the decoder tests: protoc (a real encoder nobody here wrote)
// builds descriptor sets and message bytes; zlib compresses; small builders
// make envelopes and header lists.
#include "capture/decode/body_decoder.hpp"
#include "capture/decode/descriptor_pool.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <zlib.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

namespace decode_test {

using Bytes = std::vector<std::uint8_t>;
namespace decode = cursor_proxy::capture::decode;
namespace observer = cursor_proxy::observer;

inline Bytes bytes(std::string_view s) { return Bytes(s.begin(), s.end()); }

// A temporary directory removed when the test ends, pass or fail.
struct TempDir {
    std::filesystem::path path;
    TempDir() {
        std::string pattern = (std::filesystem::temp_directory_path() / "decode-test-XXXXXX").string();
        if (!mkdtemp(pattern.data())) FAIL("mkdtemp failed");
        path = pattern;
    }
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path, ignored);
    }
};

inline Bytes read_file(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return Bytes(std::istreambuf_iterator<char>(in), {});
}

inline void run(const std::string& command) {
    INFO("command: " << command);
    REQUIRE(std::string(CURSOR_PROXY_PROTOC) != "");  // protoc missing at configure time: install protobuf-compiler
    REQUIRE(std::system(command.c_str()) == 0);
}

inline std::string protoc() { return CURSOR_PROXY_PROTOC; }
inline std::string data_dir() { return CURSOR_PROXY_DECODE_DATA_DIR; }

// protoc -o set.pb --include_imports chat.proto
inline Bytes chat_descriptor_set() {
    TempDir dir;
    const auto out = dir.path / "set.pb";
    run(fmt::format("'{}' -I'{}' -o '{}' --include_imports chat.proto", protoc(), data_dir(), out.string()));
    return read_file(out);
}

inline const decode::DescriptorPool& chat_pool() {
    static const decode::DescriptorPool pool = decode::DescriptorPool::parse(chat_descriptor_set());
    return pool;
}

// protoc --encode=TYPE chat.proto < text
inline Bytes protoc_encode(const std::string& type, const std::string& text) {
    TempDir dir;
    const auto in = dir.path / "in.txtpb", out = dir.path / "out.bin";
    std::ofstream(in) << text;
    run(fmt::format("cd '{}' && '{}' -I. --encode={} chat.proto < '{}' > '{}'", data_dir(), protoc(), type,
                    in.string(), out.string()));
    return read_file(out);
}

inline Bytes gzip(const Bytes& plain) {
    z_stream z{};
    REQUIRE(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK);
    std::unique_ptr<z_stream, int (*)(z_stream*)> guard(&z, deflateEnd);
    Bytes out(deflateBound(&z, plain.size()) + 32);
    z.next_in = const_cast<Bytef*>(plain.data());
    z.avail_in = static_cast<uInt>(plain.size());
    z.next_out = out.data();
    z.avail_out = static_cast<uInt>(out.size());
    REQUIRE(deflate(&z, Z_FINISH) == Z_STREAM_END);
    out.resize(z.total_out);
    return out;
}

inline Bytes envelope(std::uint8_t flags, const Bytes& payload) {
    Bytes out{flags, static_cast<std::uint8_t>(payload.size() >> 24), static_cast<std::uint8_t>(payload.size() >> 16),
              static_cast<std::uint8_t>(payload.size() >> 8), static_cast<std::uint8_t>(payload.size())};
    out.insert(out.end(), payload.begin(), payload.end());
    return out;
}

inline Bytes concat(std::initializer_list<Bytes> parts) {
    Bytes out;
    for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
    return out;
}

struct Options {
    observer::Headers headers;
    observer::Direction direction = observer::Direction::request;
    const decode::DescriptorPool* pool = nullptr;
    decode::Limits limits = {};
};

inline std::unique_ptr<decode::BodyDecoder> make(const Options& o) {
    return decode::make_body_decoder(
        {.headers = o.headers, .direction = o.direction, .rpc_path = {}, .pool = o.pool, .limits = o.limits});
}

// Feeds body split at the given offsets, then finishes.
inline std::vector<decode::DecodedMessage> decode_split(const Options& o, const Bytes& body,
                                                         const std::vector<std::size_t>& splits,
                                                         const observer::Headers* trailers = nullptr) {
    auto d = make(o);
    std::vector<decode::DecodedMessage> all;
    std::size_t at = 0;
    auto take = [&](std::vector<decode::DecodedMessage> ms) {
        for (auto& m : ms) all.push_back(std::move(m));
    };
    for (std::size_t split : splits) {
        take(d->feed(std::span(body).subspan(at, split - at)));
        at = split;
    }
    take(d->feed(std::span(body).subspan(at)));
    take(d->finish(trailers));
    return all;
}

inline std::vector<decode::DecodedMessage> decode_whole(const Options& o, const Bytes& body,
                                                         const observer::Headers* trailers = nullptr) {
    return decode_split(o, body, {}, trailers);
}

// What a message looks like, for comparing results across chunkings.
inline std::string summary(const std::vector<decode::DecodedMessage>& ms) {
    std::string s;
    for (const auto& m : ms)
        s += fmt::format("{}|{}|{}|{}|{}|{}|{}|{}|{}\n", m.index, m.kind, m.form, m.compressed, m.wire_size,
                         m.decoded_size, m.truncated, m.decoded.dump(), m.error);
    return s;
}

}  // namespace decode_test
