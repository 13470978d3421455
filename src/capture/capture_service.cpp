#include "capture/capture_service.hpp"

#include "capture/capture_config.hpp"
#include "capture/capture_observer.hpp"
#include "capture/decode/descriptor_pool.hpp"
#include "capture/event_queue.hpp"
#include "capture/journal_store.hpp"
#include "capture/recorder.hpp"
#include "log/log.hpp"
#include "log/user_error.hpp"

#include <fmt/format.h>

#include <fstream>
#include <iterator>
#include <optional>
#include <thread>

namespace cursor_proxy::capture {
namespace {

std::optional<decode::DescriptorPool> load_descriptors(const std::filesystem::path& file) {
    if (file.empty()) return std::nullopt;
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        throw UserError(fmt::format("--descriptors: cannot read {} (give a FileDescriptorSet written by "
                                    "'protoc --include_imports -o FILE' or 'buf build -o FILE')",
                                    file.string()));
    }
    const std::vector<std::uint8_t> bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    try {
        return decode::DescriptorPool::parse(bytes);
    } catch (const decode::DescriptorError& e) {
        throw UserError(fmt::format("--descriptors: {} is not a FileDescriptorSet: {}", file.string(), e.what()));
    }
}

// Capture switched off: the relays see an observer that wants nothing.
class DisabledCapture final : public CaptureService {
public:
    observer::Observer& observer() override { return observer::null_observer(); }
    void stop() override {}
};

class RunningCapture final : public CaptureService {
public:
    explicit RunningCapture(CaptureConfig config)
        : config_(std::move(config)),
          session_(JournalStore::new_session_name()),
          pool_(load_descriptors(config_.descriptors)),
          queue_(config_.queue),
          observer_(queue_, config_.filter),
          store_(config_.dir, session_, config_.store),
          recorder_(config_, store_, pool_ ? &*pool_ : nullptr, session_) {
        if (!config_.redact) {
            log::warning("capture", "redaction is off (--no-redact): tokens, cookies and keys are written in clear",
                         {{"dir", config_.dir.string()}});
        }
        recorder_.session_started();
        writer_ = std::thread([this] { run(); });
    }
    ~RunningCapture() override { stop(); }

    observer::Observer& observer() override { return observer_; }

    void stop() override {
        queue_.close();
        if (writer_.joinable()) writer_.join();
    }

private:
    void run() {
        std::deque<CaptureEvent> batch;
        while (queue_.pop_all(batch, std::chrono::milliseconds(500))) {
            for (CaptureEvent& e : batch) {
                try {
                    recorder_.handle(e);
                } catch (const std::exception& ex) {
                    // A bug in decoding one event must not stop the writer.
                    log::error("capture", "event not recorded", {{"error", ex.what()}});
                }
            }
            batch.clear();
        }
    }

    CaptureConfig config_;
    std::string session_;
    std::optional<decode::DescriptorPool> pool_;
    EventQueue queue_;
    CaptureObserver observer_;
    JournalStore store_;
    Recorder recorder_;
    std::thread writer_;
};

}  // namespace

std::unique_ptr<CaptureService> CaptureService::start(const cli::ParsedArgs& args,
                                                      const std::filesystem::path& default_dir) {
    CaptureConfig config = config_from_args(args, default_dir);
    if (!config.enabled) return std::make_unique<DisabledCapture>();
    return std::make_unique<RunningCapture>(std::move(config));
}

}  // namespace cursor_proxy::capture
