// Connect unary and plain bodies: buffered (up to the message limit) until the
// body ends, then decoded as one.
#include "capture/decode/decoders.hpp"


namespace cursor_proxy::capture::decode {

namespace {

class WholeBodyDecoder final : public BodyDecoder {
public:
    WholeBodyDecoder(std::string format, WholeBody body, PayloadSettings settings)
        : format_(std::move(format)), body_(std::move(body)), settings_(std::move(settings)) {}

    std::vector<DecodedMessage> feed(std::span<const std::uint8_t> bytes) override {
        const std::size_t limit = settings_.limits.max_message_bytes;
        received_ += bytes.size();
        if (received_ <= limit) {
            buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
        } else if (buffer_.size() > settings_.limits.raw_prefix_bytes) {
            buffer_.resize(settings_.limits.raw_prefix_bytes);  // over the limit: keep only the prefix
            buffer_.shrink_to_fit();
        } else if (buffer_.size() < settings_.limits.raw_prefix_bytes) {
            const std::size_t n = std::min(bytes.size(), settings_.limits.raw_prefix_bytes - buffer_.size());
            buffer_.insert(buffer_.end(), bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n));
        }
        return {};
    }

    std::vector<DecodedMessage> finish(const observer::Headers* trailers) override {
        std::vector<DecodedMessage> out;
        if (received_ > 0 || body_.emit_when_empty) out.push_back(decode_body());
        append_trailers(out, out.size(), trailers);
        return out;
    }

    std::string_view format() const override { return format_; }

private:
    DecodedMessage decode_body() {
        DecodedMessage m;
        m.kind = body_.rpc ? "message" : "body";
        m.wire_size = received_;
        m.decoded_size = received_;
        if (received_ > settings_.limits.max_message_bytes) {
            mark_over_limit(m, "body", received_, buffer_, settings_.limits);
            return m;
        }
        std::span<const std::uint8_t> body = buffer_;
        std::vector<std::uint8_t> inflated;
        const std::string& encoding = body_.content_encoding;
        if (!encoding.empty() && encoding != "identity") {
            if (!decompress(m, body, encoding, settings_.limits, inflated)) return m;
            body = inflated;
        }
        if (body_.rpc) {
            decode_payload(m, body, false, settings_);
            m.compressed = !encoding.empty() && encoding != "identity";
        } else {
            decode_plain(m, body, body_.content_type, settings_.limits);
        }
        return m;
    }

    std::string format_;
    WholeBody body_;
    PayloadSettings settings_;
    std::vector<std::uint8_t> buffer_;
    std::uint64_t received_ = 0;
};

}  // namespace

std::unique_ptr<BodyDecoder> make_whole_body_decoder(std::string format, WholeBody body, PayloadSettings settings) {
    return std::make_unique<WholeBodyDecoder>(std::move(format), std::move(body), std::move(settings));
}

}  // namespace cursor_proxy::capture::decode
