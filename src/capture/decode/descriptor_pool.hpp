#pragma once
// The parts of a FileDescriptorSet (what `protoc -o` and `buf build -o`
// write) that decoding needs: messages with their fields, enums, and
// services with their methods. Parsed with our own wire reader, so we need
// no protobuf library. Names are fully qualified without the leading dot:
// "aiserver.v1.StreamUnifiedChatRequest".
#include <cstdint>
#include <map>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace cursor_proxy::capture::decode {

// FieldDescriptorProto.Type values.
enum class FieldType : std::int32_t {
    double_ = 1, float_ = 2, int64 = 3, uint64 = 4, int32 = 5, fixed64 = 6, fixed32 = 7, bool_ = 8,
    string = 9, group = 10, message = 11, bytes = 12, uint32 = 13, enum_ = 14, sfixed32 = 15,
    sfixed64 = 16, sint32 = 17, sint64 = 18,
};

enum class FieldLabel : std::int32_t { optional = 1, required = 2, repeated = 3 };

struct FieldDescriptor {
    std::int32_t number = 0;
    std::string name;
    std::string json_name;  // as given in the set, else lowerCamelCase of name
    FieldType type = FieldType::int32;
    FieldLabel label = FieldLabel::optional;
    std::string type_name;  // message or enum type, for those field types
    bool packed = false;    // how it is written; decoding accepts both forms
};

struct MessageDescriptor {
    std::string full_name;
    std::vector<FieldDescriptor> fields;
    bool map_entry = false;  // synthesized map<K, V> entry: key = 1, value = 2
    const FieldDescriptor* field(std::int32_t number) const;
};

struct EnumDescriptor {
    std::string full_name;
    std::map<std::int32_t, std::string> names;  // first name wins for aliases
};

struct MethodDescriptor {
    std::string name;
    std::string input_type;
    std::string output_type;
    bool client_streaming = false;
    bool server_streaming = false;
};

struct ServiceDescriptor {
    std::string full_name;
    std::vector<MethodDescriptor> methods;
};

// A descriptor set that is not one: says what was wrong and where.
class DescriptorError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class DescriptorPool {
public:
    // Throws DescriptorError on malformed input. Types referenced but missing
    // (a set written without --include_imports) are not an error: fields of
    // those types decode schemaless.
    static DescriptorPool parse(std::span<const std::uint8_t> file_descriptor_set);

    const MessageDescriptor* find_message(std::string_view full_name) const;
    const EnumDescriptor* find_enum(std::string_view full_name) const;
    const ServiceDescriptor* find_service(std::string_view full_name) const;
    // "/package.Service/Method" (an HTTP/2 :path; a query string is ignored).
    const MethodDescriptor* find_method(std::string_view rpc_path) const;

    std::size_t message_count() const { return messages_.size(); }
    std::size_t service_count() const { return services_.size(); }

private:
    friend class DescriptorSetParser;
    std::map<std::string, MessageDescriptor, std::less<>> messages_;
    std::map<std::string, EnumDescriptor, std::less<>> enums_;
    std::map<std::string, ServiceDescriptor, std::less<>> services_;
};

// protoc's default json_name: "foo_bar_baz" -> "fooBarBaz".
std::string lower_camel_case(std::string_view field_name);

}  // namespace cursor_proxy::capture::decode
