#include "capture/decode/well_known_types.hpp"

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <cstdint>
#include <optional>
#include <string>

namespace cursor_proxy::capture::decode {

namespace {

using nlohmann::json;

// int64 fields arrive as strings (the JSON mapping); missing means 0.
std::optional<std::int64_t> int64_field(const json& object, const char* name) {
    if (!object.contains(name)) return 0;
    const json& v = object[name];
    if (v.is_number_integer()) return v.get<std::int64_t>();
    if (!v.is_string()) return std::nullopt;
    const auto& s = v.get_ref<const std::string&>();
    std::int64_t out = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
    return out;
}

// Nanoseconds as protobuf prints them: 0, 3, 6 or 9 digits.
std::string fraction(std::int64_t nanos) {
    if (nanos == 0) return "";
    if (nanos % 1000000 == 0) return fmt::format(".{:03}", nanos / 1000000);
    if (nanos % 1000 == 0) return fmt::format(".{:06}", nanos / 1000);
    return fmt::format(".{:09}", nanos);
}

// Howard Hinnant's days -> civil date, so no time zone library is involved.
std::array<std::int64_t, 3> civil_from_days(std::int64_t z) {
    z += 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const std::int64_t doe = z - era * 146097;
    const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const std::int64_t mp = (5 * doy + 2) / 153;
    const std::int64_t d = doy - (153 * mp + 2) / 5 + 1;
    const std::int64_t m = mp < 10 ? mp + 3 : mp - 9;
    return {yoe + era * 400 + (m <= 2), m, d};
}

std::optional<json> timestamp(const json& object) {
    const auto seconds = int64_field(object, "seconds");
    const auto nanos = int64_field(object, "nanos");
    // The range protobuf allows: 0001-01-01 to 9999-12-31.
    if (!seconds || !nanos || *seconds < -62135596800 || *seconds > 253402300799 || *nanos < 0 || *nanos > 999999999)
        return std::nullopt;
    const std::int64_t days = (*seconds >= 0 ? *seconds : *seconds - 86399) / 86400;
    const std::int64_t rest = *seconds - days * 86400;
    const auto [y, m, d] = civil_from_days(days);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{}Z", y, m, d, rest / 3600, rest / 60 % 60, rest % 60,
                       fraction(*nanos));
}

std::optional<json> duration(const json& object) {
    const auto seconds = int64_field(object, "seconds");
    const auto nanos = int64_field(object, "nanos");
    if (!seconds || !nanos || *nanos < -999999999 || *nanos > 999999999 || *seconds > 315576000000 ||
        *seconds < -315576000000 || (*seconds > 0 && *nanos < 0) || (*seconds < 0 && *nanos > 0))
        return std::nullopt;
    const bool negative = *seconds < 0 || *nanos < 0;
    return fmt::format("{}{}{}s", negative ? "-" : "", *seconds < 0 ? -*seconds : *seconds,
                       fraction(*nanos < 0 ? -*nanos : *nanos));
}

// A wrapper whose value is the default has no field on the wire.
json wrapper_default(std::string_view name) {
    if (name == "Int64Value" || name == "UInt64Value") return "0";
    if (name == "StringValue" || name == "BytesValue") return "";
    if (name == "BoolValue") return false;
    return 0;
}

std::optional<json> value(const json& object) {
    for (const char* key : {"nullValue", "numberValue", "stringValue", "boolValue", "structValue", "listValue"}) {
        if (object.contains(key)) return std::string_view(key) == "nullValue" ? json() : object[key];
    }
    return std::nullopt;
}

}  // namespace

nlohmann::json to_well_known_json(std::string_view full_name, nlohmann::json decoded) {
    constexpr std::string_view prefix = "google.protobuf.";
    if (!decoded.is_object() || decoded.contains("_unknown") || !full_name.starts_with(prefix)) return decoded;
    const std::string_view name = full_name.substr(prefix.size());
    std::optional<json> special;
    if (name == "Timestamp") special = timestamp(decoded);
    else if (name == "Duration") special = duration(decoded);
    else if (name == "Struct") special = decoded.contains("fields") ? decoded["fields"] : json::object();
    else if (name == "ListValue") special = decoded.contains("values") ? decoded["values"] : json::array();
    else if (name == "Value") special = value(decoded);
    else if (name.ends_with("Value") && name != "EnumValue")  // the wrappers: DoubleValue ... BytesValue
        special = decoded.contains("value") ? decoded["value"] : wrapper_default(name);
    return special ? std::move(*special) : std::move(decoded);
}

}  // namespace cursor_proxy::capture::decode
