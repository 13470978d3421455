#pragma once
// Reads the protobuf wire format (varints, tags, fixed-width and
// length-delimited values) from a byte span, never past its end. Every read
// returns false on malformed or short input and leaves the reader unusable
// for the rest of that message; callers then fall back or report.
#include <cstddef>
#include <cstdint>
#include <span>

namespace cursor_proxy::capture::decode {

enum class WireType : std::uint8_t { varint = 0, i64 = 1, len = 2, group_start = 3, group_end = 4, i32 = 5 };

struct Tag {
    std::uint32_t field = 0;  // 1 .. 2^29-1
    WireType wire = WireType::varint;
};

class WireReader {
public:
    explicit WireReader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}

    bool at_end() const { return pos_ == bytes_.size(); }
    std::size_t position() const { return pos_; }

    bool read_varint(std::uint64_t& value) {
        value = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (pos_ == bytes_.size()) return false;
            const std::uint8_t byte = bytes_[pos_++];
            // The tenth byte may only carry the top bit of a 64-bit value.
            if (shift == 63 && byte > 1) return false;
            value |= std::uint64_t{byte & 0x7fu} << shift;
            if ((byte & 0x80) == 0) return true;
        }
        return false;
    }

    // Rejects field number 0 and the wire types 6 and 7, which do not exist.
    bool read_tag(Tag& tag) {
        std::uint64_t key = 0;
        if (!read_varint(key)) return false;
        const std::uint64_t field = key >> 3;
        const std::uint8_t wire = key & 7;
        if (field == 0 || field > 0x1fffffff || wire > 5) return false;
        tag.field = static_cast<std::uint32_t>(field);
        tag.wire = static_cast<WireType>(wire);
        return true;
    }

    bool read_fixed32(std::uint32_t& value) {
        if (bytes_.size() - pos_ < 4) return false;
        value = 0;
        for (int i = 3; i >= 0; --i) value = (value << 8) | bytes_[pos_ + i];
        pos_ += 4;
        return true;
    }

    bool read_fixed64(std::uint64_t& value) {
        if (bytes_.size() - pos_ < 8) return false;
        value = 0;
        for (int i = 7; i >= 0; --i) value = (value << 8) | bytes_[pos_ + i];
        pos_ += 8;
        return true;
    }

    bool read_length_delimited(std::span<const std::uint8_t>& value) {
        std::uint64_t length = 0;
        if (!read_varint(length) || length > bytes_.size() - pos_) return false;
        value = bytes_.subspan(pos_, static_cast<std::size_t>(length));
        pos_ += static_cast<std::size_t>(length);
        return true;
    }

    // Skips one value of the given wire type. Groups are not supported (no
    // current schema uses them) and count as malformed.
    bool skip(WireType wire) {
        std::uint64_t u64 = 0;
        std::uint32_t u32 = 0;
        std::span<const std::uint8_t> span;
        switch (wire) {
        case WireType::varint: return read_varint(u64);
        case WireType::i64: return read_fixed64(u64);
        case WireType::i32: return read_fixed32(u32);
        case WireType::len: return read_length_delimited(span);
        case WireType::group_start:
        case WireType::group_end: return false;
        }
        return false;
    }

private:
    std::span<const std::uint8_t> bytes_;
    std::size_t pos_ = 0;
};

}  // namespace cursor_proxy::capture::decode
