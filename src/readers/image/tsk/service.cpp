#include "readers/image/tsk/service.hpp"

#include "readers/image/proto/protocol.hpp"
#include "readers/image/tsk/tsk_image.hpp"

#include <csignal>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace smssaudit::readers::image {
namespace {

using codec::ByteReader;
using codec::ByteWriter;
using proto::Op;

constexpr std::size_t kMaxOpenFiles = 256;

/// The fault-injection hooks of service.hpp.
void maybe_inject_fault(const ImageFileRef& file) {
  const auto matches = [&](const char* var) {
    const char* v = std::getenv(var);  // NOLINT(concurrency-mt-unsafe): single-threaded helper
    return v != nullptr && *v != '\0' && file.ntfs_path.find(v) != std::string::npos;
  };
  if (matches("SMSSAUDIT_FAULT_IMAGED_CRASH")) {
    (void)std::signal(SIGSEGV, SIG_DFL);  // a plain crash, even under a sanitizer's handler
    (void)std::raise(SIGSEGV);
  }
  if (matches("SMSSAUDIT_FAULT_IMAGED_HANG")) {
    for (;;) {
      std::this_thread::sleep_for(std::chrono::hours(1));
    }
  }
}

class Service {
 public:
  /// One request → one response payload.
  std::vector<std::uint8_t> handle(std::span<const std::uint8_t> request) {
    ByteReader in(request);
    ByteWriter out;
    const auto op = static_cast<Op>(in.u8());
    if (op != Op::kOpen && !image_) {
      return error(Error{ErrorCode::kIo, "", "no image is open"});
    }
    switch (op) {
      case Op::kOpen:
        return open(in);
      case Op::kInstall:
        return installations(in);
      case Op::kList:
        return list(in);
      case Op::kFind:
        return find(in);
      case Op::kOpenFile:
        return open_file(in);
      case Op::kRead:
        return read(in);
      case Op::kCloseFile:
        return close_file(in);
    }
    return malformed();
  }

 private:
  static std::vector<std::uint8_t> error(const Error& e) {
    ByteWriter w;
    w.u8(1);
    proto::put(w, e);
    return w.take();
  }

  static std::vector<std::uint8_t> malformed() {
    return error(Error{ErrorCode::kIo, "", "malformed request"});
  }

  static ByteWriter ok() {
    ByteWriter w;
    w.u8(0);
    return w;
  }

  std::vector<std::uint8_t> open(ByteReader& in) {
    std::vector<std::string> segments(in.count(4));
    for (auto& s : segments) {
      s = in.str();
    }
    if (!in.done() || segments.empty() || image_) {
      return malformed();
    }
    auto img = TskImage::open(segments);
    if (!img) {
      return error(img.error());
    }
    image_.emplace(std::move(*img));
    auto w = ok();
    w.str(image_->format());
    w.u64(image_->size());
    return w.take();
  }

  std::vector<std::uint8_t> installations(ByteReader& in) {
    if (!in.done()) {
      return malformed();
    }
    DiagnosticSink sink;
    const auto found = image_->installations(sink);
    auto w = ok();
    w.u32(static_cast<std::uint32_t>(found.size()));
    for (const auto& i : found) {
      proto::put(w, i);
    }
    proto::put(w, sink.items());
    return w.take();
  }

  std::vector<std::uint8_t> list(ByteReader& in) {
    const auto inst = proto::get_installation(in);
    const auto dir = in.str();
    if (!in.done()) {
      return malformed();
    }
    auto entries = image_->list(inst, dir);
    if (!entries) {
      return error(entries.error());
    }
    auto w = ok();
    w.u32(static_cast<std::uint32_t>(entries->size()));
    for (const auto& e : *entries) {
      proto::put(w, e);
    }
    return w.take();
  }

  std::vector<std::uint8_t> find(ByteReader& in) {
    const auto inst = proto::get_installation(in);
    const auto path = in.str();
    if (!in.done()) {
      return malformed();
    }
    auto found = image_->find(inst, path);
    if (!found) {
      return error(found.error());
    }
    auto w = ok();
    w.boolean(found->has_value());
    if (*found) {
      proto::put(w, **found);
    }
    return w.take();
  }

  std::vector<std::uint8_t> open_file(ByteReader& in) {
    const auto ref = proto::get_ref(in);
    if (!in.done()) {
      return malformed();
    }
    if (files_.size() >= kMaxOpenFiles) {
      return error(Error{ErrorCode::kIo, ref.source_name(), "too many open files in the image"});
    }
    maybe_inject_fault(ref);
    auto src = image_->open(ref);
    if (!src) {
      return error(src.error());
    }
    const std::uint32_t handle = next_handle_++;
    auto w = ok();
    w.u32(handle);
    w.u64((*src)->size());
    files_.emplace(handle, std::move(*src));
    return w.take();
  }

  std::vector<std::uint8_t> read(ByteReader& in) {
    const auto handle = in.u32();
    const auto offset = in.u64();
    const auto length = in.u32();
    if (!in.done() || length > proto::kMaxRead) {
      return malformed();
    }
    const auto it = files_.find(handle);
    if (it == files_.end()) {
      return error(Error{ErrorCode::kIo, "", "unknown file handle"});
    }
    auto w = ok();
    // Read straight into the response: four bytes for the length (filled in once the read says
    // how many it got), then the bytes.
    auto& buf = w.buffer();
    const std::size_t at = buf.size();
    buf.resize(at + 4 + length);
    auto n = it->second->read_at(offset, std::span<std::uint8_t>(buf.data() + at + 4, length));
    if (!n) {
      return error(n.error());
    }
    buf.resize(at + 4 + *n);
    for (std::size_t i = 0; i < 4; ++i) {
      buf[at + i] = static_cast<std::uint8_t>(static_cast<std::uint32_t>(*n) >> (8 * i));
    }
    return w.take();
  }

  std::vector<std::uint8_t> close_file(ByteReader& in) {
    const auto handle = in.u32();
    if (!in.done()) {
      return malformed();
    }
    files_.erase(handle);
    return ok().take();
  }

  std::optional<TskImage> image_;
  std::map<std::uint32_t, std::unique_ptr<ByteSource>> files_;  // destroyed before image_
  std::uint32_t next_handle_ = 1;
};

}  // namespace

int serve_image_requests(int fd) {
  Service service;
  for (;;) {
    auto frame = proto::read_frame(fd, -1);
    if (frame.status == proto::FrameStatus::kClosed) {
      return 0;  // the client is done (or gone)
    }
    if (frame.status != proto::FrameStatus::kOk) {
      return 1;
    }
    if (!proto::write_frame(fd, service.handle(frame.payload))) {
      return 1;
    }
  }
}

}  // namespace smssaudit::readers::image
