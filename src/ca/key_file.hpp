#pragma once
// Files holding secrets: written atomically with owner-only permissions, and
// refused when group or others can read them.
#include <filesystem>
#include <string>
#include <string_view>
#include <sys/types.h>

namespace cursor_proxy::ca {

// Writes contents to path with the given mode via a temporary file in the same
// directory + fsync + rename + fsync of the directory, so a reader sees either
// the old file or the complete new one, never a torn or briefly world-readable
// one. Throws UserError naming the path on failure.
void write_file_atomically(const std::filesystem::path& path, std::string_view contents, mode_t mode);

// Reads a whole file. Throws UserError naming the path on failure; `what`
// says what the file is ("CA certificate").
std::string read_file(const std::filesystem::path& path, std::string_view what);

// Throws UserError ("cannot use CA key F: mode 0644 is readable by others;
// run chmod 600 F") unless the file at path is a regular file that neither
// group nor others can access.
void require_owner_only(const std::filesystem::path& path, std::string_view what);

}  // namespace cursor_proxy::ca
