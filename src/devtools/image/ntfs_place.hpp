// Places directories and files in an NTFS volume image with libntfs-3g (fixture tool for
// scripts/mkimage; never part of an analysis). The volume is a regular file made by mkntfs.
#pragma once

#include "smssaudit/core/result.hpp"

#include <memory>
#include <string>
#include <string_view>

namespace smssaudit::devtools::image {

/// An NTFS volume mounted read-write from an image file; unmounted (flushed) by the destructor or
/// by close(). Move-only.
class NtfsVolume {
 public:
  /// Mounts `volume_path` (a file holding a bare NTFS volume). Errors: kIo with ntfs-3g's reason.
  static Result<NtfsVolume> mount(const std::string& volume_path);

  NtfsVolume(NtfsVolume&&) noexcept;
  NtfsVolume& operator=(NtfsVolume&&) noexcept;
  NtfsVolume(const NtfsVolume&) = delete;
  NtfsVolume& operator=(const NtfsVolume&) = delete;
  ~NtfsVolume();

  /// Creates every missing directory of `ntfs_path` ("Windows/System32/config", '/' separated).
  Status make_dirs(std::string_view ntfs_path);

  /// Creates `ntfs_path` (parents included) with the bytes of `host_file` as its unnamed $DATA.
  /// An existing file is an error.
  Status put_file(std::string_view ntfs_path, const std::string& host_file);

  /// Unmounts, writing everything back; reports a failure that the destructor would swallow.
  Status close();

  class Impl;

 private:
  explicit NtfsVolume(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace smssaudit::devtools::image
