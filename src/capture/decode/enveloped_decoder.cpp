// Connect streaming, gRPC and gRPC-web(-text): envelopes decoded one by one
// as their last byte arrives.
#include "capture/decode/base64.hpp"
#include "capture/decode/decoders.hpp"
#include "capture/decode/envelope_reader.hpp"
#include "capture/decode/headers_json.hpp"

#include <fmt/format.h>

namespace cursor_proxy::capture::decode {

namespace {

class EnvelopedDecoder final : public BodyDecoder {
public:
    EnvelopedDecoder(std::string format, Framing framing, bool base64_text, PayloadSettings settings)
        : format_(std::move(format)),
          framing_(framing),
          base64_text_(base64_text),
          settings_(std::move(settings)),
          reader_(settings_.limits.max_message_bytes, settings_.limits.raw_prefix_bytes) {}

    std::vector<DecodedMessage> feed(std::span<const std::uint8_t> bytes) override {
        std::vector<DecodedMessage> out;
        if (failed_) return out;
        std::vector<Envelope> envelopes;
        bool text_ok = true;
        if (base64_text_) {
            std::vector<std::uint8_t> binary;
            text_ok = text_.feed(bytes, binary);
            reader_.feed(binary, envelopes);
        } else {
            reader_.feed(bytes, envelopes);
        }
        for (auto& e : envelopes) out.push_back(decode(e));
        if (!text_ok) fail(out, "grpc-web-text body is not valid base64; stopped decoding");
        return out;
    }

    std::vector<DecodedMessage> finish(const observer::Headers* trailers) override {
        std::vector<DecodedMessage> out;
        std::string why;
        if (!failed_) {
            if (auto partial = reader_.take_incomplete(why)) {
                DecodedMessage m = start_message("message");
                m.wire_size = partial->received;
                m.truncated = true;
                m.raw = raw_prefix(partial->payload, settings_.limits);
                m.error = why;
                out.push_back(std::move(m));
            } else if (base64_text_ && !text_.complete()) {
                fail(out, "grpc-web-text body ended inside a base64 group");
            }
        }
        append_trailers(out, next_index_, trailers);
        return out;
    }

    std::string_view format() const override { return format_; }

private:
    DecodedMessage start_message(std::string kind) {
        DecodedMessage m;
        m.index = next_index_++;
        m.kind = std::move(kind);
        return m;
    }

    void fail(std::vector<DecodedMessage>& out, std::string error) {
        failed_ = true;
        DecodedMessage m = start_message("message");
        m.error = std::move(error);
        out.push_back(std::move(m));
    }

    DecodedMessage decode(const Envelope& e) {
        const bool end_of_stream = framing_ == Framing::connect && (e.flags & 0x02);
        const bool trailer_frame = framing_ == Framing::grpc_web && (e.flags & 0x80);
        DecodedMessage m = start_message(end_of_stream ? "end_of_stream" : trailer_frame ? "trailers" : "message");
        m.wire_size = e.length;
        m.compressed = e.flags & 0x01;
        const std::uint8_t known = 0x01 | (framing_ == Framing::connect ? 0x02 : 0) | (framing_ == Framing::grpc_web ? 0x80 : 0);
        if (e.flags & ~known) {
            m.error = fmt::format("unknown envelope flags 0x{:02x}", e.flags);
            m.raw = raw_prefix(e.payload, settings_.limits);
            return m;
        }
        if (e.truncated) {
            mark_over_limit(m, "message", e.length, e.payload, settings_.limits);
            return m;
        }
        if (trailer_frame) return decode_trailer_frame(std::move(m), e);
        PayloadSettings settings = settings_;
        if (end_of_stream) {
            settings.codec = Codec::json;  // Connect's end-of-stream message is always JSON
            settings.type = nullptr;
        }
        decode_payload(m, e.payload, m.compressed, settings);
        return m;
    }

    DecodedMessage decode_trailer_frame(DecodedMessage m, const Envelope& e) {
        std::vector<std::uint8_t> inflated;
        std::span<const std::uint8_t> block = e.payload;
        if (m.compressed) {
            if (!decompress(m, block, settings_.encoding, settings_.limits, inflated)) return m;
            block = inflated;
        }
        m.decoded_size = block.size();
        if (auto headers = parse_header_block(block)) {
            m.form = "headers";
            m.decoded = headers_to_json(*headers);
        } else {
            m.error = "trailer frame is not a header block";
            m.raw = raw_prefix(block, settings_.limits);
        }
        return m;
    }

    std::string format_;
    Framing framing_;
    bool base64_text_;
    PayloadSettings settings_;
    EnvelopeReader reader_;
    Base64StreamDecoder text_;
    std::uint64_t next_index_ = 0;
    bool failed_ = false;
};

}  // namespace

std::unique_ptr<BodyDecoder> make_enveloped_decoder(std::string format, Framing framing, bool base64_text,
                                                    PayloadSettings settings) {
    return std::make_unique<EnvelopedDecoder>(std::move(format), framing, base64_text, std::move(settings));
}

}  // namespace cursor_proxy::capture::decode
