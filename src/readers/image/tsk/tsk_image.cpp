// Disk images through The Sleuth Kit, inside smssaudit-imaged (see tsk_image.hpp).
//
// Every TSK call on one image runs under ImageState::mu: TSK's file-system structures are not
// thread-safe, and its error record is per thread, so each call clears it first and takes it
// right after a failure, in the same thread, under the same lock.
#include "readers/image/tsk/tsk_image.hpp"

#include "readers/image/tsk/image_state.hpp"
#include "readers/image/tsk/path_lookup.hpp"
#include "readers/image/tsk/tsk_handles.hpp"
#include "smssaudit/core/text.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <fstream>
#include <mutex>
#include <utility>

namespace smssaudit::readers::image {

std::string tsk::take_error() {
  const char* msg = tsk_error_get();
  std::string out = msg != nullptr ? text::trim(msg) : std::string();
  tsk_error_reset();
  if (const auto nl = out.find('\n'); nl != std::string::npos) {
    out.resize(nl);
  }
  return out.empty() ? "unknown TSK error" : out;
}

namespace {

/// A file inside the image read through tsk_fs_file_read (the unnamed $DATA stream). Holds the
/// image state, so the image stays open as long as any source does.
class TskFileSource final : public ByteSource {
 public:
  TskFileSource(std::shared_ptr<detail::ImageState> state,
                tsk::File file,
                std::uint64_t size,
                std::string name)
      : state_(std::move(state)), file_(std::move(file)), size_(size), name_(std::move(name)) {}

  TskFileSource(const TskFileSource&) = delete;
  TskFileSource& operator=(const TskFileSource&) = delete;
  TskFileSource(TskFileSource&&) = delete;
  TskFileSource& operator=(TskFileSource&&) = delete;

  ~TskFileSource() override {
    const std::lock_guard<std::mutex> lock(state_->mu);
    file_.reset();
  }

  std::uint64_t size() const noexcept override { return size_; }

  const std::string& name() const noexcept override { return name_; }

  Result<std::size_t> read_at(std::uint64_t offset, std::span<std::uint8_t> buf) const override {
    if (offset >= size_ || buf.empty()) {
      return std::size_t{0};
    }
    const std::size_t want =
        static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), size_ - offset));
    const std::lock_guard<std::mutex> lock(state_->mu);
    std::size_t done = 0;
    while (done < want) {
      tsk::clear_error();
      const ssize_t n = tsk_fs_file_read(file_.get(),
                                         static_cast<TSK_OFF_T>(offset + done),
                                         reinterpret_cast<char*>(buf.data() + done),
                                         want - done,
                                         TSK_FS_FILE_READ_FLAG_NONE);
      if (n < 0) {
        return fail(ErrorCode::kIo,
                    name_,
                    "cannot read " + std::to_string(want - done) + " bytes at offset " +
                        std::to_string(offset + done) + " through TSK: " + tsk::take_error());
      }
      if (n == 0) {
        break;
      }
      done += static_cast<std::size_t>(n);
    }
    return done;
  }

 private:
  std::shared_ptr<detail::ImageState> state_;  // first: outlives file_
  tsk::File file_;
  std::uint64_t size_;
  std::string name_;
};

}  // namespace

TskImage::TskImage(std::shared_ptr<detail::ImageState> state) : state_(std::move(state)) {}

std::string TskImage::format() const {
  const char* name = tsk_img_type_toname(state_->img->itype);
  return name != nullptr ? name : "unknown";
}

std::uint64_t TskImage::size() const noexcept {
  return static_cast<std::uint64_t>(state_->img->size);
}

Result<std::vector<ImageFileRef>> TskImage::list(const Installation& inst,
                                                 std::string_view dir_path) const {
  const std::lock_guard<std::mutex> lock(state_->mu);
  auto fs = detail::volume_at(*state_, inst.offset);
  if (!fs) {
    return fail(fs.error());
  }
  return detail::list_directory(*state_, *fs, inst.offset, dir_path);
}

Result<std::optional<ImageFileRef>> TskImage::find(const Installation& inst,
                                                   std::string_view path) const {
  const std::lock_guard<std::mutex> lock(state_->mu);
  auto fs = detail::volume_at(*state_, inst.offset);
  if (!fs) {
    return fail(fs.error());
  }
  return detail::resolve_path(*state_, *fs, inst.offset, path);
}

Result<std::unique_ptr<ByteSource>> TskImage::open(const ImageFileRef& file) const {
  const std::string name = file.source_name();
  if (file.is_directory) {
    return fail(ErrorCode::kNotFound, name, "is a directory");
  }
  if (file.image_path != state_->path) {
    return fail(ErrorCode::kNotFound, name, "belongs to another image than " + state_->path);
  }
  const std::lock_guard<std::mutex> lock(state_->mu);
  auto fs = detail::volume_at(*state_, file.partition_offset);
  if (!fs) {
    return fail(fs.error());
  }
  tsk::clear_error();
  tsk::File f(tsk_fs_file_open_meta(*fs, nullptr, static_cast<TSK_INUM_T>(file.mft_entry)));
  if (!f || f->meta == nullptr) {
    return fail(
        ErrorCode::kIo,
        name,
        "cannot open MFT entry " + std::to_string(file.mft_entry) + ": " + tsk::take_error());
  }
  const auto size = static_cast<std::uint64_t>(std::max<TSK_OFF_T>(f->meta->size, 0));
  return std::unique_ptr<ByteSource>(
      std::make_unique<TskFileSource>(state_, std::move(f), size, name));
}

std::vector<Installation> TskImage::installations(DiagnosticSink& sink) const {
  const std::lock_guard<std::mutex> lock(state_->mu);
  return detail::find_installations(*state_, sink);
}

Result<TskImage> TskImage::open(const std::vector<std::string>& segments) {
  if (segments.empty()) {
    return fail(ErrorCode::kNotFound, "", "no image segment given");
  }
  std::vector<const char*> names;
  names.reserve(segments.size());
  for (const auto& s : segments) {
    names.push_back(s.c_str());
  }
  auto state = std::make_shared<detail::ImageState>();
  state->path = segments.front();
  state->segments = segments;
  // TSK opens raw segments O_RDONLY and EWF/VMDK/VHD through libewf/libvmdk/libvhdi read-only.
  tsk::clear_error();
  state->img.reset(
      tsk_img_open_utf8(static_cast<int>(names.size()), names.data(), TSK_IMG_TYPE_DETECT, 0));
  if (!state->img) {
    return fail(ErrorCode::kIo,
                segments.front(),
                "not a disk image TSK can open (raw, E01, VMDK, VHD): " + tsk::take_error());
  }
  if (state->img->size <= 0) {
    return fail(ErrorCode::kIo, segments.front(), "empty disk image");
  }
  return TskImage(std::move(state));
}

}  // namespace smssaudit::readers::image
