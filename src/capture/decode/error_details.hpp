#pragma once
// The details of an RPC error, decoded. gRPC sends a google.rpc.Status in
// the grpc-status-details-bin header (base64); Connect sends a JSON error
// ({"code", "message", "details": [{"type", "value"}]}) in a unary error body
// or its end-of-stream envelope, each detail's value being base64 protobuf.
// Both come out in one shape:
//   {"code": 5 | "not_found", "message": "...",
//    "details": [{"type": "google.rpc.ErrorInfo", "form": "protobuf" | "protobuf-raw" | "",
//                 "decoded": ..., "error": "..."}]}
// A detail is decoded with the descriptor set when it knows the type
// (protobuf's JSON mapping, as for messages), else schemaless.
#include "capture/decode/body_decoder.hpp"
#include "capture/decode/descriptor_pool.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string_view>

namespace cursor_proxy::capture::decode {

// nullopt when the value is not base64 of a google.rpc.Status.
std::optional<nlohmann::json> grpc_status_details(std::string_view header_value, const DescriptorPool* pool,
                                                  int max_depth);

// error: a Connect error object. nullopt when it has no "details" list.
std::optional<nlohmann::json> connect_error_details(const nlohmann::json& error, const DescriptorPool* pool,
                                                    int max_depth);

// Sets m.error_details when m carries an error with details: a trailer block
// with grpc-status-details-bin, a Connect end-of-stream with an error, or a
// Connect unary error body (a JSON response {"code": "...", "details": [...]}).
void attach_error_details(DecodedMessage& m, observer::Direction direction, const DescriptorPool* pool, int max_depth);

}  // namespace cursor_proxy::capture::decode
