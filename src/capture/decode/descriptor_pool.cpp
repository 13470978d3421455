#include "capture/decode/descriptor_pool.hpp"

#include "capture/decode/wire_reader.hpp"

#include <fmt/format.h>

#include <cctype>

namespace cursor_proxy::capture::decode {

namespace {

using Bytes = std::span<const std::uint8_t>;

// Field numbers from google/protobuf/descriptor.proto.
namespace set_field { constexpr std::uint32_t file = 1; }
namespace file_field {
constexpr std::uint32_t name = 1, package = 2, message_type = 4, enum_type = 5, service = 6, syntax = 12;
}
namespace message_field {
constexpr std::uint32_t name = 1, field = 2, nested_type = 3, enum_type = 4, options = 7;
}
namespace message_options_field { constexpr std::uint32_t map_entry = 7; }
namespace field_field {
constexpr std::uint32_t name = 1, number = 3, label = 4, type = 5, type_name = 6, options = 8, json_name = 10;
}
namespace field_options_field { constexpr std::uint32_t packed = 2; }
namespace enum_field { constexpr std::uint32_t name = 1, value = 2; }
namespace enum_value_field { constexpr std::uint32_t name = 1, number = 2; }
namespace service_field { constexpr std::uint32_t name = 1, method = 2; }
namespace method_field {
constexpr std::uint32_t name = 1, input_type = 2, output_type = 3, client_streaming = 5, server_streaming = 6;
}

// One field's value as read by for_each_field; typed accessors check the wire
// type so a descriptor with the wrong shape fails with a clear message.
class Value {
public:
    Value(Tag tag, WireReader& reader, std::string_view where) : tag_(tag), reader_(reader), where_(where) {}

    std::uint32_t field() const { return tag_.field; }

    Bytes bytes() {
        Bytes value;
        if (tag_.wire != WireType::len || !reader_.read_length_delimited(value)) fail();
        read_ = true;
        return value;
    }
    std::string string() {
        const Bytes b = bytes();
        return std::string(reinterpret_cast<const char*>(b.data()), b.size());
    }
    std::uint64_t varint() {
        std::uint64_t v = 0;
        if (tag_.wire != WireType::varint || !reader_.read_varint(v)) fail();
        read_ = true;
        return v;
    }
    std::int32_t int32() { return static_cast<std::int32_t>(varint()); }
    bool boolean() { return varint() != 0; }
    bool was_read() const { return read_; }

private:
    [[noreturn]] void fail() const {
        throw DescriptorError(fmt::format("{}: field {} is malformed", where_, tag_.field));
    }
    Tag tag_;
    WireReader& reader_;
    std::string_view where_;
    bool read_ = false;
};

// Calls fn(Value&) for each field of the message in bytes; values fn does not
// read are skipped.
template <typename Fn>
void for_each_field(Bytes bytes, std::string_view where, Fn&& fn) {
    WireReader reader(bytes);
    while (!reader.at_end()) {
        Tag tag;
        if (!reader.read_tag(tag)) throw DescriptorError(fmt::format("{}: malformed field tag", where));
        Value value(tag, reader, where);
        fn(value);
        if (!value.was_read() && !reader.skip(tag.wire))
            throw DescriptorError(fmt::format("{}: field {} is malformed", where, tag.field));
    }
}

std::string strip_dot(std::string name) {
    if (!name.empty() && name.front() == '.') name.erase(0, 1);
    return name;
}

std::string qualify(std::string_view scope, std::string_view name) {
    return scope.empty() ? std::string(name) : fmt::format("{}.{}", scope, name);
}

bool is_packable(FieldType type) {
    return type != FieldType::string && type != FieldType::bytes && type != FieldType::message &&
           type != FieldType::group;
}

}  // namespace

class DescriptorSetParser {
public:
    explicit DescriptorSetParser(DescriptorPool& pool) : pool_(pool) {}

    void parse_set(Bytes bytes) {
        int file_index = 0;
        for_each_field(bytes, "FileDescriptorSet", [&](Value& v) {
            if (v.field() == set_field::file) parse_file(v.bytes(), ++file_index);
        });
        if (file_index == 0)
            throw DescriptorError("FileDescriptorSet holds no files (write it with protoc -o FILE --include_imports)");
    }

private:
    void parse_file(Bytes bytes, int index) {
        std::string name = fmt::format("file #{}", index), package, syntax = "proto2";
        // First pass: the package and syntax, which scope everything else.
        for_each_field(bytes, name, [&](Value& v) {
            if (v.field() == file_field::name) name = fmt::format("file #{} ({})", index, v.string());
            else if (v.field() == file_field::package) package = v.string();
            else if (v.field() == file_field::syntax) syntax = v.string();
        });
        const bool packed_by_default = syntax != "proto2";
        for_each_field(bytes, name, [&](Value& v) {
            if (v.field() == file_field::message_type) parse_message(v.bytes(), package, packed_by_default, name);
            else if (v.field() == file_field::enum_type) parse_enum(v.bytes(), package, name);
            else if (v.field() == file_field::service) parse_service(v.bytes(), package, name);
        });
    }

    void parse_message(Bytes bytes, const std::string& scope, bool packed_by_default, const std::string& where,
                       int depth = 0) {
        // protoc itself refuses deeper nesting; this bounds our recursion.
        constexpr int max_nesting = 100;
        if (depth > max_nesting)
            throw DescriptorError(fmt::format("{}: messages nested more than {} deep", where, max_nesting));
        MessageDescriptor message;
        for_each_field(bytes, where, [&](Value& v) {
            if (v.field() == message_field::name) message.full_name = qualify(scope, v.string());
        });
        const std::string here = fmt::format("{}: message {}", where, message.full_name);
        for_each_field(bytes, here, [&](Value& v) {
            switch (v.field()) {
            case message_field::field: message.fields.push_back(parse_field(v.bytes(), packed_by_default, here)); break;
            case message_field::nested_type: parse_message(v.bytes(), message.full_name, packed_by_default, where, depth + 1);
                break;
            case message_field::enum_type: parse_enum(v.bytes(), message.full_name, where); break;
            case message_field::options:
                for_each_field(v.bytes(), here, [&](Value& o) {
                    if (o.field() == message_options_field::map_entry) message.map_entry = o.boolean();
                });
                break;
            default: break;
            }
        });
        pool_.messages_.insert_or_assign(message.full_name, std::move(message));
    }

    FieldDescriptor parse_field(Bytes bytes, bool packed_by_default, const std::string& where) {
        FieldDescriptor field;
        bool explicit_packed = false, packed_option = false;
        for_each_field(bytes, where, [&](Value& v) {
            switch (v.field()) {
            case field_field::name: field.name = v.string(); break;
            case field_field::number: field.number = v.int32(); break;
            case field_field::label: field.label = static_cast<FieldLabel>(v.int32()); break;
            case field_field::type: field.type = static_cast<FieldType>(v.int32()); break;
            case field_field::type_name: field.type_name = strip_dot(v.string()); break;
            case field_field::json_name: field.json_name = v.string(); break;
            case field_field::options:
                for_each_field(v.bytes(), where, [&](Value& o) {
                    if (o.field() == field_options_field::packed) {
                        explicit_packed = true;
                        packed_option = o.boolean();
                    }
                });
                break;
            default: break;
            }
        });
        const auto type = static_cast<std::int32_t>(field.type);
        if (type < 1 || type > 18)
            throw DescriptorError(fmt::format("{}: field {} has unknown type {}", where, field.name, type));
        if (field.json_name.empty()) field.json_name = lower_camel_case(field.name);
        field.packed = field.label == FieldLabel::repeated && is_packable(field.type) &&
                       (explicit_packed ? packed_option : packed_by_default);
        return field;
    }

    void parse_enum(Bytes bytes, const std::string& scope, const std::string& where) {
        EnumDescriptor e;
        for_each_field(bytes, where, [&](Value& v) {
            if (v.field() == enum_field::name) e.full_name = qualify(scope, v.string());
        });
        for_each_field(bytes, where, [&](Value& v) {
            if (v.field() != enum_field::value) return;
            std::string name;
            std::int32_t number = 0;
            for_each_field(v.bytes(), where, [&](Value& ev) {
                if (ev.field() == enum_value_field::name) name = ev.string();
                else if (ev.field() == enum_value_field::number) number = ev.int32();
            });
            e.names.try_emplace(number, std::move(name));
        });
        pool_.enums_.insert_or_assign(e.full_name, std::move(e));
    }

    void parse_service(Bytes bytes, const std::string& scope, const std::string& where) {
        ServiceDescriptor service;
        for_each_field(bytes, where, [&](Value& v) {
            if (v.field() == service_field::name) service.full_name = qualify(scope, v.string());
        });
        for_each_field(bytes, where, [&](Value& v) {
            if (v.field() != service_field::method) return;
            MethodDescriptor method;
            for_each_field(v.bytes(), where, [&](Value& m) {
                switch (m.field()) {
                case method_field::name: method.name = m.string(); break;
                case method_field::input_type: method.input_type = strip_dot(m.string()); break;
                case method_field::output_type: method.output_type = strip_dot(m.string()); break;
                case method_field::client_streaming: method.client_streaming = m.boolean(); break;
                case method_field::server_streaming: method.server_streaming = m.boolean(); break;
                default: break;
                }
            });
            service.methods.push_back(std::move(method));
        });
        pool_.services_.insert_or_assign(service.full_name, std::move(service));
    }

    DescriptorPool& pool_;
};

const FieldDescriptor* MessageDescriptor::field(std::int32_t number) const {
    for (const auto& f : fields)
        if (f.number == number) return &f;
    return nullptr;
}

DescriptorPool DescriptorPool::parse(std::span<const std::uint8_t> file_descriptor_set) {
    DescriptorPool pool;
    DescriptorSetParser(pool).parse_set(file_descriptor_set);
    return pool;
}

namespace {

template <typename Map>
const typename Map::mapped_type* find_in(const Map& map, std::string_view name) {
    const auto it = map.find(name);
    return it == map.end() ? nullptr : &it->second;
}

}  // namespace

const MessageDescriptor* DescriptorPool::find_message(std::string_view full_name) const {
    return find_in(messages_, full_name);
}

const EnumDescriptor* DescriptorPool::find_enum(std::string_view full_name) const { return find_in(enums_, full_name); }

const ServiceDescriptor* DescriptorPool::find_service(std::string_view full_name) const {
    return find_in(services_, full_name);
}

const MethodDescriptor* DescriptorPool::find_method(std::string_view rpc_path) const {
    rpc_path = rpc_path.substr(0, rpc_path.find('?'));
    if (rpc_path.empty() || rpc_path.front() != '/') return nullptr;
    rpc_path.remove_prefix(1);
    const auto slash = rpc_path.rfind('/');
    if (slash == std::string_view::npos) return nullptr;
    const ServiceDescriptor* service = find_service(rpc_path.substr(0, slash));
    if (!service) return nullptr;
    for (const auto& method : service->methods)
        if (method.name == rpc_path.substr(slash + 1)) return &method;
    return nullptr;
}

std::string lower_camel_case(std::string_view field_name) {
    std::string out;
    bool upper_next = false;
    for (const char c : field_name) {
        if (c == '_') {
            upper_next = true;
            continue;
        }
        out += upper_next ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
        upper_next = false;
    }
    return out;
}

}  // namespace cursor_proxy::capture::decode
