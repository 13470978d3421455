#pragma once
// The parameters of a URL query string ("a=1&b&c=x%20y"), as sent: split on
// '&' and the first '=', nothing decoded (text/percent_decode.hpp does that).
// A trailing '&' adds no parameter; an empty one between two '&' is kept.
#include <string_view>
#include <vector>

namespace cursor_proxy::text {

struct QueryParameter {
    std::string_view raw;    // "name=value"
    std::string_view name;   // before the first '='
    std::string_view value;  // after it; empty when there is none
    bool has_equals = false;
};

inline std::vector<QueryParameter> split_query(std::string_view query) {
    std::vector<QueryParameter> out;
    while (!query.empty()) {
        QueryParameter p;
        p.raw = query.substr(0, query.find('&'));
        query.remove_prefix(std::min(query.size(), p.raw.size() + 1));
        const auto equals = p.raw.find('=');
        p.has_equals = equals != std::string_view::npos;
        p.name = p.raw.substr(0, equals);
        if (p.has_equals) p.value = p.raw.substr(equals + 1);
        out.push_back(p);
    }
    return out;
}

}  // namespace cursor_proxy::text
