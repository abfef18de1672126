// Move-only owners of The Sleuth Kit's C handles, and TSK's thread-local error record turned into
// a string. Private to src/readers/image/, the only place that includes TSK headers.
#pragma once

#include <memory>
#include <string>
#include <tsk/libtsk.h>

namespace smssaudit::readers::image::tsk {

struct ImgClose {
  void operator()(TSK_IMG_INFO* p) const noexcept { tsk_img_close(p); }
};

struct VsClose {
  void operator()(TSK_VS_INFO* p) const noexcept { tsk_vs_close(p); }
};

struct FsClose {
  void operator()(TSK_FS_INFO* p) const noexcept { tsk_fs_close(p); }
};

struct FileClose {
  void operator()(TSK_FS_FILE* p) const noexcept { tsk_fs_file_close(p); }
};

struct DirClose {
  void operator()(TSK_FS_DIR* p) const noexcept { tsk_fs_dir_close(p); }
};

using Img = std::unique_ptr<TSK_IMG_INFO, ImgClose>;
using Vs = std::unique_ptr<TSK_VS_INFO, VsClose>;
using Fs = std::unique_ptr<TSK_FS_INFO, FsClose>;
using File = std::unique_ptr<TSK_FS_FILE, FileClose>;
using Dir = std::unique_ptr<TSK_FS_DIR, DirClose>;

/// TSK keeps its last error per thread: take it (one line, trimmed) and reset it, so that the next
/// call starts clean. "unknown TSK error" when none was recorded.
std::string take_error();

/// Clears TSK's error record before a call whose failure will be reported.
inline void clear_error() noexcept {
  tsk_error_reset();
}

}  // namespace smssaudit::readers::image::tsk
