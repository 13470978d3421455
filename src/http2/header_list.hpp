#pragma once
// Header fields as one leg received them, ready to be submitted on the other
// leg: nghttp2 wants an array of nghttp2_nv pointing at the bytes, so NvArray
// views a Headers that must outlive it.
#include "observer/observer.hpp"

#include <nghttp2/nghttp2.h>

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

namespace cursor_proxy::http2 {

class NvArray {
public:
    explicit NvArray(const observer::Headers& headers);
    const nghttp2_nv* data() const { return nv_.data(); }
    std::size_t size() const { return nv_.size(); }

private:
    std::vector<nghttp2_nv> nv_;
};

// What one field costs against the header list limit (RFC 9113 6.5.2: name +
// value + 32 bytes of overhead).
inline std::size_t field_cost(std::string_view name, std::string_view value) {
    return name.size() + value.size() + 32;
}

// The value of ":status" as a number, if present and numeric.
std::optional<int> status_code(const observer::Headers& headers);

}  // namespace cursor_proxy::http2
