// The state behind a DiskImage: TSK's image handle, the NTFS volumes opened on it, and the mutex
// that serialises every TSK call on them. Private to src/readers/image/.
#pragma once

#include "readers/image/tsk/tsk_handles.hpp"
#include "smssaudit/core/diagnostics.hpp"
#include "smssaudit/core/result.hpp"
#include "smssaudit/readers/image.hpp"

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace smssaudit::readers::image::detail {

struct ImageState {
  std::string path;  ///< first segment
  std::vector<std::string> segments;
  std::mutex mu;                             ///< held around every TSK call below
  tsk::Img img;                              ///< declared before volumes: closed last
  std::map<std::uint64_t, tsk::Fs> volumes;  ///< NTFS file systems by byte offset
};

/// The NTFS file system at `offset`, opened on first use. Caller holds state.mu.
Result<TSK_FS_INFO*> volume_at(ImageState& state, std::uint64_t offset);

/// Searches the partition table (or the bare volume) for Windows installations. Caller holds
/// state.mu.
std::vector<Installation> find_installations(ImageState& state, DiagnosticSink& sink);

}  // namespace smssaudit::readers::image::detail
