// DiskImage (include/smssaudit/readers/image.hpp) as the client of smssaudit-imaged, the
// disk-image service that runs The Sleuth Kit in a process of its own (tsk/service.hpp says why).
//
// One service process per opened image, started on first use. Calls are serialised by
// ImageState::mu, as TSK calls were when TSK ran in this process. When the service dies or stops
// answering, the call in flight fails with an Error naming what was being read and how the service
// ended ("killed by SIGSEGV"); a file whose read killed the service stays failed (its reads are
// not retried, so one hostile file cannot crash the service over and over), and the next call for
// anything else starts a new service, at most kMaxRestarts times per image.
//
// Fork safety: the isolated parsers (app/isolate) fork this process and read image files in the
// child. A child never touches its parent's connection: a call from another process id starts a
// service of its own for that process.
#include "readers/image/proto/protocol.hpp"
#include "smssaudit/core/process.hpp"
#include "smssaudit/core/text.hpp"
#include "smssaudit/readers/image.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <mutex>
#include <sys/socket.h>
#include <system_error>
#include <thread>
#include <unistd.h>
#include <utility>

namespace smssaudit::readers::image {

namespace detail {

/// The client side of one image: what the service said about it and the connection to it.
struct ImageState {
  std::string path;  ///< first segment
  std::vector<std::string> segments;
  std::string format;
  std::uint64_t size = 0;
  int timeout_ms = 0;  ///< per call, from SMSSAUDIT_IMAGED_TIMEOUT

  std::mutex mu;     ///< held around every call, and guards everything below
  pid_t owner = -1;  ///< the process the connection belongs to
  std::optional<process::ChildProcess> service;
  int fd = -1;                   ///< our end of the socket, -1 when there is no live service
  std::uint64_t generation = 0;  ///< bumped for each new service: file handles are per service
  unsigned failures = 0;         ///< services of this process that crashed, hung or misbehaved

  ImageState() = default;
  ImageState(const ImageState&) = delete;
  ImageState& operator=(const ImageState&) = delete;
  ImageState(ImageState&&) = delete;
  ImageState& operator=(ImageState&&) = delete;
  ~ImageState();
};

}  // namespace detail

namespace {

using codec::ByteReader;
using codec::ByteWriter;
using detail::ImageState;
using proto::Op;

constexpr unsigned kMaxRestarts = 3;
constexpr int kDefaultTimeoutSeconds = 600;
constexpr auto kShutdownGrace = std::chrono::seconds(2);

/// SMSSAUDIT_IMAGED, else smssaudit-imaged beside the running executable.
Result<std::string> service_executable() {
  // NOLINTNEXTLINE(concurrency-mt-unsafe): the environment is not modified while smssaudit runs
  if (const char* env = std::getenv("SMSSAUDIT_IMAGED"); env != nullptr && *env != '\0') {
    return std::string(env);
  }
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    auto beside = self.parent_path() / "smssaudit-imaged";
    if (std::filesystem::is_regular_file(beside, ec)) {
      return beside.string();
    }
  }
  return fail(ErrorCode::kIo,
              "smssaudit-imaged",
              "the disk-image service was not found beside " + self.string() +
                  "; install it there or set SMSSAUDIT_IMAGED to its path");
}

int timeout_from_environment() {
  // NOLINTNEXTLINE(concurrency-mt-unsafe): the environment is not modified while smssaudit runs
  const char* env = std::getenv("SMSSAUDIT_IMAGED_TIMEOUT");
  int seconds = kDefaultTimeoutSeconds;
  if (env != nullptr && *env != '\0') {
    char* end = nullptr;
    const long v = std::strtol(env, &end, 10);
    if (end != env && *end == '\0' && v > 0 && v < 86400) {
      seconds = static_cast<int>(v);
    }
  }
  return seconds * 1000;
}

/// Closes the connection of `st` and ends its service: EOF makes a healthy service exit at once;
/// one that does not within kShutdownGrace (hung in TSK) is killed. Returns how it ended. Caller
/// holds st.mu and owns the connection.
std::optional<process::ExitStatus> stop_service(ImageState& st, bool kill_now) {
  if (st.fd >= 0) {
    ::close(st.fd);
    st.fd = -1;
  }
  if (!st.service) {
    return std::nullopt;
  }
  if (kill_now) {
    st.service->kill(SIGKILL);
  }
  const auto deadline = std::chrono::steady_clock::now() + kShutdownGrace;
  std::optional<process::ExitStatus> status;
  while (!(status = st.service->poll()) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (!status) {
    st.service->kill(SIGKILL);
    status = st.service->wait();
  }
  st.service.reset();
  return status;
}

/// Forgets a connection inherited through fork(): it belongs to the parent, which still uses it.
void drop_inherited_connection(ImageState& st) {
  if (st.owner == ::getpid() || st.owner == -1) {
    return;
  }
  if (st.fd >= 0) {
    ::close(st.fd);  // our copy only; the parent's descriptor stays open
    st.fd = -1;
  }
  if (st.service) {
    st.service->release();  // not our child: never kill or wait for it
    st.service.reset();
  }
  st.owner = ::getpid();
  st.failures = 0;
  ++st.generation;
}

/// Sends one request and waits for its response. A service that dies or times out is stopped and
/// the failure named after `what`. Caller holds st.mu and has a live connection.
Result<std::vector<std::uint8_t>> exchange(ImageState& st,
                                           const std::vector<std::uint8_t>& request,
                                           const std::string& what) {
  proto::Frame reply;
  if (proto::write_frame(st.fd, request)) {
    reply = proto::read_frame(st.fd, st.timeout_ms);
  } else {
    reply.status = proto::FrameStatus::kClosed;
  }
  if (reply.status == proto::FrameStatus::kOk && !reply.payload.empty()) {
    return std::move(reply.payload);
  }
  ++st.failures;
  const bool hung = reply.status == proto::FrameStatus::kTimeout;
  const auto ended =
      stop_service(st, /*kill_now=*/hung || reply.status != proto::FrameStatus::kClosed);
  std::string how = hung ? "did not answer within " + std::to_string(st.timeout_ms / 1000) +
                               " s (SMSSAUDIT_IMAGED_TIMEOUT) and was stopped"
                         : "failed: " + reply.detail;
  if (!hung && ended && (!ended->exited || ended->code != 0)) {
    how = "ended: " + process::describe(*ended);
  }
  return fail(ErrorCode::kIo, what, "the disk-image service (smssaudit-imaged) " + how);
}

/// Starts a service for this process and opens the image in it. Caller holds st.mu.
Status connect(ImageState& st) {
  drop_inherited_connection(st);
  if (st.fd >= 0) {
    return ok();
  }
  if (st.failures > kMaxRestarts) {
    return fail(ErrorCode::kIo,
                st.path,
                "the disk-image service failed " + std::to_string(st.failures) +
                    " times; the rest of this image is not read");
  }
  auto exe = service_executable();
  if (!exe) {
    return fail(exe.error());
  }
  std::array<int, 2> sv{-1, -1};
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv.data()) != 0) {
    return fail(ErrorCode::kIo, st.path, std::string("socketpair: ") + std::strerror(errno));
  }
  process::SpawnIo io;
  io.opens.push_back({STDIN_FILENO, "/dev/null", O_RDONLY, 0});
  io.opens.push_back({STDOUT_FILENO, "/dev/null", O_WRONLY, 0});
  io.dups.emplace_back(sv[1], proto::kServiceFd);
  try {
    st.service = process::ChildProcess::spawn(*exe, {*exe}, io);
  } catch (const std::system_error& e) {
    ::close(sv[0]);
    ::close(sv[1]);
    return fail(ErrorCode::kIo, st.path, e.what());
  }
  ::close(sv[1]);
  st.fd = sv[0];
  st.owner = ::getpid();
  ++st.generation;
  ByteWriter w;
  w.u8(static_cast<std::uint8_t>(Op::kOpen));
  w.u32(static_cast<std::uint32_t>(st.segments.size()));
  for (const auto& s : st.segments) {
    w.str(s);
  }
  auto reply = exchange(st, w.take(), st.path);
  if (!reply) {
    return fail(reply.error());
  }
  ByteReader r(*reply);
  if (r.u8() != 0) {
    auto e = proto::get_error(r);
    stop_service(st, false);
    return fail(r.ok() ? std::move(e) : Error{ErrorCode::kIo, st.path, "malformed service reply"});
  }
  st.format = r.str();
  st.size = r.u64();
  if (!r.done()) {
    stop_service(st, true);
    return fail(ErrorCode::kIo, st.path, "malformed reply from the disk-image service");
  }
  return ok();
}

/// One call: connects when needed, sends, and returns a reader positioned after the ok status
/// byte (the payload is kept in `storage`). A service-side error comes back as that Error.
Result<ByteReader> call(ImageState& st,
                        const std::vector<std::uint8_t>& request,
                        const std::string& what,
                        std::vector<std::uint8_t>& storage) {
  if (auto c = connect(st); !c) {
    return fail(c.error().code, what, c.error().detail);
  }
  auto reply = exchange(st, request, what);
  if (!reply) {
    return fail(reply.error());
  }
  storage = std::move(*reply);
  ByteReader r(storage);
  if (r.u8() != 0) {
    auto e = proto::get_error(r);
    if (!r.done()) {
      return fail(ErrorCode::kIo, what, "malformed reply from the disk-image service");
    }
    return fail(std::move(e));
  }
  return r;
}

Error malformed(const std::string& what) {
  return Error{ErrorCode::kIo, what, "malformed reply from the disk-image service"};
}

/// A file inside the image, read through the service. Holds the image state, so the image (and
/// its service) stay alive as long as any source does.
class ServiceFileSource final : public ByteSource {
 public:
  ServiceFileSource(std::shared_ptr<ImageState> state,
                    ImageFileRef ref,
                    std::uint64_t size,
                    std::uint32_t handle,
                    std::uint64_t generation)
      : state_(std::move(state)),
        ref_(std::move(ref)),
        size_(size),
        name_(ref_.source_name()),
        handle_(handle),
        generation_(generation) {}

  ServiceFileSource(const ServiceFileSource&) = delete;
  ServiceFileSource& operator=(const ServiceFileSource&) = delete;
  ServiceFileSource(ServiceFileSource&&) = delete;
  ServiceFileSource& operator=(ServiceFileSource&&) = delete;

  ~ServiceFileSource() override {
    const std::lock_guard<std::mutex> lock(state_->mu);
    if (state_->owner == ::getpid() && state_->fd >= 0 && generation_ == state_->generation) {
      ByteWriter w;
      w.u8(static_cast<std::uint8_t>(Op::kCloseFile));
      w.u32(handle_);
      std::vector<std::uint8_t> storage;
      (void)call(*state_, w.take(), name_, storage);
    }
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
    if (lost_) {
      return fail(*lost_);
    }
    std::size_t done = 0;
    while (done < want) {
      const auto n = read_chunk(offset + done, buf.subspan(done, want - done));
      if (!n) {
        return fail(n.error());
      }
      if (*n == 0) {
        break;
      }
      done += *n;
    }
    return done;
  }

 private:
  /// One kRead of at most kMaxRead bytes; reopens the file in a new service first when the one
  /// that opened it is gone. Caller holds the lock.
  Result<std::size_t> read_chunk(std::uint64_t offset, std::span<std::uint8_t> out) const {
    ImageState& st = *state_;
    if (st.owner != ::getpid() || st.fd < 0 || generation_ != st.generation) {
      if (auto reopened = reopen(); !reopened) {
        return fail(reopened.error());
      }
    }
    const auto len = static_cast<std::uint32_t>(std::min<std::size_t>(out.size(), proto::kMaxRead));
    ByteWriter w;
    w.u8(static_cast<std::uint8_t>(Op::kRead));
    w.u32(handle_);
    w.u64(offset);
    w.u32(len);
    std::vector<std::uint8_t> storage;
    const std::uint64_t gen = st.generation;
    auto r = call(st, w.take(), name_, storage);
    if (!r) {
      if (st.fd < 0 || st.generation != gen) {
        lost_ = r.error();  // the service died reading this file: never again
      }
      return fail(r.error());
    }
    const auto n = r->u32();
    if (!r->ok() || n > len || r->remaining() != n) {
      return fail(malformed(name_));
    }
    std::copy_n(storage.end() - static_cast<std::ptrdiff_t>(n), n, out.begin());
    return std::size_t{n};
  }

  /// Opens the file again in the current (or a new) service.
  Status reopen() const {
    ByteWriter w;
    w.u8(static_cast<std::uint8_t>(Op::kOpenFile));
    proto::put(w, ref_);
    std::vector<std::uint8_t> storage;
    auto r = call(*state_, w.take(), name_, storage);
    if (!r) {
      if (state_->fd < 0) {
        lost_ = r.error();
      }
      return fail(r.error());
    }
    handle_ = r->u32();
    r->u64();
    if (!r->done()) {
      return fail(malformed(name_));
    }
    generation_ = state_->generation;
    return ok();
  }

  std::shared_ptr<ImageState> state_;
  ImageFileRef ref_;
  std::uint64_t size_;
  std::string name_;
  // Guarded by state_->mu (read_at is const and may be called from several threads).
  mutable std::uint32_t handle_;
  mutable std::uint64_t generation_;
  mutable std::optional<Error> lost_;  ///< set once the service died serving this file
};

/// Picks the entries of `listing` named `names` (case-insensitively), in the order of `names`.
void pick(const std::vector<ImageFileRef>& listing,
          std::initializer_list<std::pair<std::string_view, ArtifactRole>> names,
          std::vector<InstallationArtifact>& out) {
  for (const auto& [want, role] : names) {
    for (const auto& f : listing) {
      if (!f.is_directory && text::iequals(f.file_name(), want)) {
        out.push_back(InstallationArtifact{role, f});
        break;
      }
    }
  }
}

/// kNotFound / kIo unless `path` is an existing regular file.
Status check_regular_file(const std::string& path) {
  std::error_code ec;
  const auto st = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(st)) {
    return fail(ErrorCode::kNotFound, path, "no such file");
  }
  if (!std::filesystem::is_regular_file(st)) {
    return fail(ErrorCode::kIo, path, "not a regular file");
  }
  return ok();
}

}  // namespace

detail::ImageState::~ImageState() {
  if (owner == ::getpid()) {
    stop_service(*this, false);
  } else if (service) {
    service->release();
  }
  if (fd >= 0) {
    ::close(fd);
  }
}

DiskImage::DiskImage(std::shared_ptr<detail::ImageState> state) : state_(std::move(state)) {}

const std::string& DiskImage::path() const noexcept {
  return state_->path;
}

const std::vector<std::string>& DiskImage::segments() const noexcept {
  return state_->segments;
}

std::string DiskImage::format() const {
  return state_->format;
}

std::uint64_t DiskImage::size() const noexcept {
  return state_->size;
}

std::vector<Installation> DiskImage::installations(DiagnosticSink& sink) const {
  const std::lock_guard<std::mutex> lock(state_->mu);
  ByteWriter w;
  w.u8(static_cast<std::uint8_t>(Op::kInstall));
  std::vector<std::uint8_t> storage;
  auto r = call(*state_, w.take(), state_->path, storage);
  if (!r) {
    sink.add(DiagLevel::kError, "image.service_failed", state_->path, "", r.error().detail);
    return {};
  }
  std::vector<Installation> found(r->count(proto::kMinInstallationBytes));
  for (auto& i : found) {
    i = proto::get_installation(*r);
  }
  auto diags = proto::get_diagnostics(*r);
  if (!r->done()) {
    sink.add(DiagLevel::kError, "image.service_failed", state_->path, "", malformed("").detail);
    return {};
  }
  for (auto& d : diags) {
    sink.add(std::move(d));
  }
  return found;
}

Result<std::vector<ImageFileRef>> DiskImage::list(const Installation& inst,
                                                  std::string_view dir_path) const {
  const std::lock_guard<std::mutex> lock(state_->mu);
  ByteWriter w;
  w.u8(static_cast<std::uint8_t>(Op::kList));
  proto::put(w, inst);
  w.str(dir_path);
  const std::string what = inst.label() + ":/" + std::string(dir_path);
  std::vector<std::uint8_t> storage;
  auto r = call(*state_, w.take(), what, storage);
  if (!r) {
    return fail(r.error());
  }
  std::vector<ImageFileRef> out(r->count(proto::kMinRefBytes));
  for (auto& f : out) {
    f = proto::get_ref(*r);
  }
  if (!r->done()) {
    return fail(malformed(what));
  }
  return out;
}

Result<std::optional<ImageFileRef>> DiskImage::find(const Installation& inst,
                                                    std::string_view path) const {
  const std::lock_guard<std::mutex> lock(state_->mu);
  ByteWriter w;
  w.u8(static_cast<std::uint8_t>(Op::kFind));
  proto::put(w, inst);
  w.str(path);
  const std::string what = inst.label() + ":" + std::string(path);
  std::vector<std::uint8_t> storage;
  auto r = call(*state_, w.take(), what, storage);
  if (!r) {
    return fail(r.error());
  }
  std::optional<ImageFileRef> found;
  if (r->boolean()) {
    found = proto::get_ref(*r);
  }
  if (!r->done()) {
    return fail(malformed(what));
  }
  return found;
}

Result<std::unique_ptr<ByteSource>> DiskImage::open(const Installation& inst,
                                                    std::string_view path) const {
  auto ref = find(inst, path);
  if (!ref) {
    return fail(ref.error());
  }
  if (!*ref) {
    return fail(
        ErrorCode::kNotFound, inst.label() + ":" + std::string(path), "no such file in the volume");
  }
  return open(**ref);
}

Result<std::unique_ptr<ByteSource>> DiskImage::open(const ImageFileRef& file) const {
  const std::string name = file.source_name();
  if (file.is_directory) {
    return fail(ErrorCode::kNotFound, name, "is a directory");
  }
  if (file.image_path != state_->path) {
    return fail(ErrorCode::kNotFound, name, "belongs to another image than " + state_->path);
  }
  const std::lock_guard<std::mutex> lock(state_->mu);
  ByteWriter w;
  w.u8(static_cast<std::uint8_t>(Op::kOpenFile));
  proto::put(w, file);
  std::vector<std::uint8_t> storage;
  auto r = call(*state_, w.take(), name, storage);
  if (!r) {
    return fail(r.error());
  }
  const auto handle = r->u32();
  const auto size = r->u64();
  if (!r->done()) {
    return fail(malformed(name));
  }
  return std::unique_ptr<ByteSource>(
      std::make_unique<ServiceFileSource>(state_, file, size, handle, state_->generation));
}

std::vector<InstallationArtifact> DiskImage::artifacts(const Installation& inst,
                                                       DiagnosticSink& sink) const {
  std::vector<InstallationArtifact> out;
  const auto listing = [&](std::string_view dir) -> std::vector<ImageFileRef> {
    auto l = list(inst, dir);
    if (l) {
      return std::move(*l);
    }
    if (l.error().code != ErrorCode::kNotFound) {
      sink.add(DiagLevel::kWarning,
               "image.file_unreadable",
               inst.label() + ":/" + std::string(dir),
               "",
               "directory cannot be read: " + l.error().detail);
    }
    return {};
  };
  pick(listing("Windows/System32/config"),
       {{"SYSTEM", ArtifactRole::kSystemHive},
        {"SYSTEM.LOG1", ArtifactRole::kSystemLog},
        {"SYSTEM.LOG2", ArtifactRole::kSystemLog},
        {"SOFTWARE", ArtifactRole::kSoftwareHive}},
       out);
  pick(listing("Windows/System32/config/RegBack"),
       {{"SYSTEM", ArtifactRole::kRegBackHive}, {"SOFTWARE", ArtifactRole::kRegBackHive}},
       out);
  auto logs = listing("Windows/System32/winevt/Logs");
  std::sort(logs.begin(), logs.end(), [](const auto& a, const auto& b) {
    return text::to_lower(a.file_name()) < text::to_lower(b.file_name());
  });
  for (auto& f : logs) {
    if (!f.is_directory && text::iends_with(f.file_name(), ".evtx")) {
      out.push_back(InstallationArtifact{ArtifactRole::kEventLog, std::move(f)});
    }
  }
  return out;
}

Result<DiskImage> open_disk_image(const std::vector<std::string>& segment_paths,
                                  DiagnosticSink& sink) {
  if (segment_paths.empty()) {
    return fail(ErrorCode::kNotFound, "", "no image segment given");
  }
  const std::vector<std::string> segments =
      segment_paths.size() == 1 ? find_segments(segment_paths.front()) : segment_paths;
  auto report = [&](Error e) -> Result<DiskImage> {
    sink.add(DiagLevel::kError, "image.open_failed", e.context, "", e.detail);
    return fail(std::move(e));
  };
  for (const auto& s : segments) {
    if (auto st = check_regular_file(s); !st) {
      return report(Error{
          st.error().code,
          segments.front(),
          s == segments.front() ? st.error().detail : "segment " + s + ": " + st.error().detail});
    }
  }
  auto state = std::make_shared<ImageState>();
  state->path = segments.front();
  state->segments = segments;
  state->timeout_ms = timeout_from_environment();
  {
    const std::lock_guard<std::mutex> lock(state->mu);
    if (auto c = connect(*state); !c) {
      Error e = c.error();
      e.context = segments.front();
      return report(std::move(e));
    }
  }
  return DiskImage(std::move(state));
}

}  // namespace smssaudit::readers::image
