#include "capture/har_export.hpp"

#include "text/query_string.hpp"

#include <string>

namespace cursor_proxy::capture {
namespace {

using json = nlohmann::json;

// HAR header lists hold real fields only; HTTP/2 pseudo-headers become the
// method, URL and status.
json har_headers(const json& pairs) {
    json out = json::array();
    for (const json& p : pairs) {
        if (!p.is_array() || p.size() != 2 || !p[0].is_string()) continue;
        const std::string name = p[0].get<std::string>();
        if (!name.empty() && name[0] == ':') continue;
        out.push_back({{"name", name}, {"value", p[1].is_string() ? p[1].get<std::string>() : p[1].dump()}});
    }
    return out;
}

json query_string(const std::string& url_path) {
    json out = json::array();
    const auto q = url_path.find('?');
    if (q == std::string::npos) return out;
    for (const auto& p : text::split_query(std::string_view(url_path).substr(q + 1))) {
        out.push_back({{"name", std::string(p.name)}, {"value", std::string(p.value)}});
    }
    return out;
}

// One line per message: the decoded form as JSON text.
std::string joined(const RpcRecord& r, std::string_view dir) {
    std::string text;
    for (const json& m : r.messages) {
        if (m.value("dir", "") != dir) continue;
        text += m.contains("decoded") ? m["decoded"].dump(-1, ' ', false, json::error_handler_t::replace) : "null";
        text += '\n';
    }
    return text;
}

json entry(const RpcRecord& r) {
    const std::string version = r.alpn == "h2" ? "HTTP/2" : (r.alpn.empty() ? "unknown" : "HTTP/1.1");
    const std::string url_path = r.url_path.empty() ? r.path : r.url_path;
    json request = {{"method", r.method.empty() ? "GET" : r.method},
                    {"url", "https://" + r.host + url_path},
                    {"httpVersion", version},
                    {"cookies", json::array()},
                    {"headers", har_headers(r.request_headers)},
                    {"queryString", query_string(url_path)},
                    {"headersSize", -1},
                    {"bodySize", static_cast<std::int64_t>(r.request_bytes)}};
    if (r.request_messages > 0 || r.request_bytes > 0) {
        request["postData"] = {{"mimeType", r.content_type.empty() ? "application/octet-stream" : r.content_type},
                               {"params", json::array()},
                               {"text", joined(r, "request")}};
    }
    const std::string response_text = joined(r, "response");
    json response = {{"status", r.status},
                     {"statusText", ""},
                     {"httpVersion", version},
                     {"cookies", json::array()},
                     {"headers", har_headers(r.response_headers)},
                     {"content",
                      {{"size", static_cast<std::int64_t>(response_text.size())},
                       {"mimeType", r.response_content_type.empty() ? "x-unknown" : r.response_content_type},
                       {"text", response_text}}},
                     {"redirectURL", ""},
                     {"headersSize", -1},
                     {"bodySize", static_cast<std::int64_t>(r.response_bytes)}};
    json messages = json::array();
    for (const json& m : r.messages) {
        messages.push_back({{"type", m.value("dir", "") == "request" ? "send" : "receive"},
                            {"time", m.value("time", "")},
                            {"index", m.value("index", 0)},
                            {"data", m.contains("decoded") ? m["decoded"].dump(-1, ' ', false, json::error_handler_t::replace) : ""}});
    }
    json e = {{"startedDateTime", r.time},
              {"time", r.duration_ms},
              {"request", std::move(request)},
              {"response", std::move(response)},
              {"cache", json::object()},
              {"timings", {{"blocked", -1}, {"dns", -1}, {"connect", -1}, {"send", 0}, {"wait", r.duration_ms}, {"receive", 0}, {"ssl", -1}}},
              {"comment", "cursor-proxy rpc " + r.id()},
              {"_messages", std::move(messages)}};
    if (!r.trailers.empty()) e["_trailers"] = r.trailers;
    if (r.reset) e["_reset"] = *r.reset;
    return e;
}

}  // namespace

nlohmann::json to_har(const std::vector<RpcRecord>& rpcs) {
    json entries = json::array();
    for (const RpcRecord& r : rpcs) {
        if (!r.time.empty()) entries.push_back(entry(r));  // request line lost: nothing to show
    }
    return {{"log",
             {{"version", "1.2"},
              {"creator", {{"name", "cursor-proxy"}, {"version", "0.1.0"}}},
              {"pages", json::array()},
              {"entries", std::move(entries)}}}};
}

}  // namespace cursor_proxy::capture
