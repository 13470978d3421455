#pragma once
// What `cursor-proxy run` needs from capture: its command-line options, and a
// running service whose observer the relays report to. Everything else
// (decoders, store, writer thread) is capture's own business.
#include "cli/arg_parser.hpp"
#include "observer/observer.hpp"

#include <filesystem>
#include <memory>

namespace cursor_proxy::capture {

// Adds --capture-dir, --no-capture, --no-redact, --redact-header,
// --capture-max-bytes, --capture-retention-days, --descriptors, ... to `run`.
void add_run_options(cli::ArgParser& parser);

class CaptureService {
public:
    virtual ~CaptureService() = default;
    // Starts the writer thread. default_dir is used when --capture-dir is not
    // given. Throws UserError for bad options (a capture directory that cannot
    // be created is NOT fatal: logged once, counted, traffic goes on).
    static std::unique_ptr<CaptureService> start(const cli::ParsedArgs& args,
                                                 const std::filesystem::path& default_dir);
    virtual observer::Observer& observer() = 0;
    // Flushes what is queued and stops the writer thread.
    virtual void stop() = 0;
};

}  // namespace cursor_proxy::capture
