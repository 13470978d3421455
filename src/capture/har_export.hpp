#pragma once
// HAR 1.2 (http://www.softwareishard.com/blog/har-12-spec/) from recorded
// RPCs, for browser devtools and HAR viewers. HAR has no notion of streamed
// messages, so, as devtools does for server-sent events, each side's decoded
// messages are joined into the body text one JSON document per line; the
// messages also go, one by one with their time, into the custom "_messages"
// field of the entry (custom fields start with "_" per the spec).
#include "capture/capture_reader.hpp"

#include <nlohmann/json.hpp>

#include <vector>

namespace cursor_proxy::capture {

nlohmann::json to_har(const std::vector<RpcRecord>& rpcs);

}  // namespace cursor_proxy::capture
