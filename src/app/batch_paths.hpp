// Output paths, checked before any evidence is read (design.md 4: an output problem is exit 2,
// reported before analysis starts). Shared by `scan` (-o, --timeline) and `batch` (OUTDIR and the
// per-host report names).
#pragma once

#include <set>
#include <string>
#include <string_view>

namespace smssaudit::app {

/// Throws FatalError(kExitUsage) unless `path` can be written as a file: not a folder, not an
/// existing file without `force`, its folder exists and a file can really be created there (the
/// check creates and removes `path` itself, so read-only folders and mounts, /proc, or a too-long
/// name are caught even when running as root). `what` names the output in messages ("report").
void require_writable_file(const std::string& path, bool force, std::string_view what);

/// Throws FatalError(kExitUsage) unless `dir` can take batch outputs: it is created when missing;
/// an existing file is refused; a folder that is not empty is refused without `force`; and a file
/// must be creatable in it.
void require_output_dir(const std::string& dir, bool force);

/// A host's report file stem: letters, digits, '.', '-' and '_' are kept, anything else becomes
/// '_', leading dots are dropped (no hidden files), at most 100 characters; "" becomes "host".
std::string sanitise_file_stem(std::string_view name);

/// `stem` made unique against `taken` (compared case-insensitively, for case-insensitive file
/// systems) by appending "-2", "-3", ...; the result is added to `taken` (lower-cased).
std::string unique_stem(const std::string& stem, std::set<std::string>& taken);

}  // namespace smssaudit::app
