// Parser isolation: fork, parse in the child, send the facts back over a pipe (see isolate.hpp).
#include "app/isolate.hpp"

#include "smssaudit/core/process.hpp"
#include "smssaudit/facts/wire.hpp"
#include "smssaudit/readers/hive_reader.hpp"

#include <array>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <mutex>
#include <optional>
#include <poll.h>
#include <string_view>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

namespace smssaudit::app {
namespace {

/// A file descriptor, closed once.
class UniqueFd {
 public:
  UniqueFd() = default;

  explicit UniqueFd(int fd) : fd_(fd) {}

  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  UniqueFd(UniqueFd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }

  UniqueFd& operator=(UniqueFd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = o.fd_;
      o.fd_ = -1;
    }
    return *this;
  }

  ~UniqueFd() { reset(); }

  int get() const noexcept { return fd_; }

  void reset() noexcept {
    if (fd_ >= 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }

 private:
  int fd_ = -1;
};

/// A forked child not yet reaped: killed and reaped if the parent leaves early (an exception
/// while reading its output), so no zombie or orphaned parser outlives the scan.
class ChildGuard {
 public:
  explicit ChildGuard(pid_t pid) : pid_(pid) {}

  ChildGuard(const ChildGuard&) = delete;
  ChildGuard& operator=(const ChildGuard&) = delete;
  ChildGuard(ChildGuard&&) = delete;
  ChildGuard& operator=(ChildGuard&&) = delete;

  ~ChildGuard() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      (void)wait();
    }
  }

  void kill() const noexcept { ::kill(pid_, SIGKILL); }

  /// waitpid() until the child is gone; its wait status, or -1 when waitpid failed.
  int wait() noexcept {
    int status = 0;
    pid_t r = -1;
    do {
      r = ::waitpid(pid_, &status, 0);
    } while (r < 0 && errno == EINTR);
    pid_ = -1;
    return r < 0 ? -1 : status;
  }

 private:
  pid_t pid_;
};

/// Exit codes of the child (only 0 means "result written").
constexpr int kChildWriteFailed = 70;
constexpr int kChildThrew = 71;

/// A runaway child (or one corrupted into writing garbage for ever) must not exhaust the
/// parent's memory: its result is refused beyond this size. The largest real results (a 1 GB
/// Security log, ~210,000 relevant events) encode to a few hundred MB.
constexpr std::size_t kMaxResultBytes = std::size_t{2} << 30;

/// Largest read the parent serves at once; a longer read_at is split by the child.
constexpr std::size_t kMaxServedRead = std::size_t{4} << 20;

/// Writes everything; MSG_NOSIGNAL on sockets so a dead peer is EPIPE, not SIGPIPE.
bool write_all(int fd, std::span<const std::uint8_t> bytes, bool socket) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = socket ? ::send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL)
                             : ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  return true;
}

/// Reads exactly bytes.size() bytes; false on EOF or error first.
bool read_all(int fd, std::span<std::uint8_t> bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::read(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  return true;
}

void put_u64(std::vector<std::uint8_t>& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) {
    out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  }
}

std::uint64_t get_u64(std::span<const std::uint8_t, 8> in) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < 8; ++i) {
    v |= static_cast<std::uint64_t>(in[i]) << (8 * i);
  }
  return v;
}

// Read protocol on the socket (both ends little-endian, same machine):
//   child -> parent: offset u64 | length u64 (<= kMaxServedRead)
//   parent -> child: status u64 (0 ok, else 1 + ErrorCode) | count u64 | count bytes
//                    (ok: the data; error: "context\0detail")

/// The child's ByteSource: every read is a request to the parent, one at a time (the native
/// EVTX reader calls read_at from several threads).
class ServedSource final : public ByteSource {
 public:
  ServedSource(int fd, std::string name, std::uint64_t size)
      : fd_(fd), name_(std::move(name)), size_(size) {}

  std::uint64_t size() const noexcept override { return size_; }

  const std::string& name() const noexcept override { return name_; }

  Result<std::size_t> read_at(std::uint64_t offset, std::span<std::uint8_t> buf) const override {
    const std::lock_guard<std::mutex> lock(mu_);
    std::size_t got = 0;
    while (got < buf.size()) {
      const std::size_t want = std::min(buf.size() - got, kMaxServedRead);
      auto n = request(offset + got, buf.subspan(got, want));
      if (!n) {
        return n;
      }
      got += *n;
      if (*n < want) {
        break;  // end of the source
      }
    }
    return got;
  }

 private:
  Result<std::size_t> request(std::uint64_t offset, std::span<std::uint8_t> buf) const {
    std::vector<std::uint8_t> req;
    put_u64(req, offset);
    put_u64(req, buf.size());
    std::array<std::uint8_t, 16> head{};
    if (!write_all(fd_, req, true) || !read_all(fd_, head)) {
      return fail(ErrorCode::kIo, name_, "parser process lost the connection to the scan");
    }
    const std::uint64_t status = get_u64(std::span<const std::uint8_t, 8>(head.data(), 8));
    const std::uint64_t count = get_u64(std::span<const std::uint8_t, 8>(head.data() + 8, 8));
    if (status == 0) {
      if (count > buf.size() || !read_all(fd_, buf.first(static_cast<std::size_t>(count)))) {
        return fail(ErrorCode::kIo, name_, "parser process got a bad reply from the scan");
      }
      return static_cast<std::size_t>(count);
    }
    if (count > kMaxServedRead) {
      return fail(ErrorCode::kIo, name_, "parser process got a bad reply from the scan");
    }
    std::vector<std::uint8_t> text(static_cast<std::size_t>(count));
    if (!read_all(fd_, text)) {
      return fail(ErrorCode::kIo, name_, "parser process lost the connection to the scan");
    }
    const std::string both(text.begin(), text.end());
    const std::size_t nul = both.find('\0');
    return fail(static_cast<ErrorCode>(status - 1),
                both.substr(0, nul),
                nul == std::string::npos ? std::string() : both.substr(nul + 1));
  }

  int fd_;
  std::string name_;
  std::uint64_t size_;
  mutable std::mutex mu_;
};

/// The parent's side of one request: false when the child is gone (stop serving).
bool serve_one(int fd, const ByteSource& source, std::vector<std::uint8_t>& buf) {
  std::array<std::uint8_t, 16> req{};
  if (!read_all(fd, req)) {
    return false;
  }
  const std::uint64_t offset = get_u64(std::span<const std::uint8_t, 8>(req.data(), 8));
  const std::uint64_t length =
      std::min<std::uint64_t>(get_u64(std::span<const std::uint8_t, 8>(req.data() + 8, 8)),
                              kMaxServedRead);  // the child is untrusted: never more
  buf.resize(static_cast<std::size_t>(length));
  auto n = source.read_at(offset, buf);
  std::vector<std::uint8_t> head;
  if (n) {
    put_u64(head, 0);
    put_u64(head, *n);
    return write_all(fd, head, true) && write_all(fd, std::span(buf).first(*n), true);
  }
  const std::string text = n.error().context + '\0' + n.error().detail;
  put_u64(head, 1 + static_cast<std::uint64_t>(n.error().code));
  put_u64(head, text.size());
  return write_all(fd, head, true) &&
         write_all(fd,
                   std::span(reinterpret_cast<const std::uint8_t*>(text.data()),  // NOLINT: bytes
                             text.size()),
                   true);
}

/// The test hook: crash as a parser would, before parsing, when the artifact name matches.
void maybe_inject_crash(const std::string& artifact) {
  // NOLINTNEXTLINE(concurrency-mt-unsafe): the child is single-threaded at this point
  const char* pattern = std::getenv(kFaultCrashEnv);
  if (pattern != nullptr && *pattern != '\0' && artifact.find(pattern) != std::string::npos) {
    // Default disposition, so the signal kills the child even where a handler is installed
    // (Catch2's in the test binary, a sanitizer's).
    (void)std::signal(SIGSEGV, SIG_DFL);
    (void)std::raise(SIGSEGV);
  }
}

/// The child's whole life: it never returns into the caller's stack.
[[noreturn]] void child_main(int result_fd,
                             int serve_fd,
                             const ByteSource* serve,
                             const std::string& artifact,
                             const ChildWork& work) {
  // The report goes to stdout from the parent only: whatever a library might print here does not
  // reach it.
  if (const int null_fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC); null_fd >= 0) {
    (void)::dup2(null_fd, STDOUT_FILENO);
    ::close(null_fd);
  }
  (void)std::signal(SIGPIPE, SIG_IGN);  // a vanished parent is a write error, not a signal
  maybe_inject_crash(artifact);
  int code = 0;
  try {
    std::optional<ServedSource> served;
    if (serve != nullptr) {
      served.emplace(serve_fd, serve->name(), serve->size());
    }
    const std::vector<std::uint8_t> bytes = work(served ? &*served : nullptr);
    code = write_all(result_fd, bytes, false) ? 0 : kChildWriteFailed;
  } catch (...) {
    code = kChildThrew;
  }
  ::_exit(code);
}

std::string describe_status(int status, bool timed_out, std::chrono::seconds timeout) {
  if (timed_out) {
    return "parser process killed after the isolation timeout of " +
           std::to_string(timeout.count()) + " s";
  }
  if (WIFSIGNALED(status)) {
    // Spelled as the disk-image client and batch spell it ("killed by SIGSEGV").
    return "parser process crashed: killed by " + process::signal_name(WTERMSIG(status));
  }
  if (WIFEXITED(status)) {
    return "parser process failed: exit status " + std::to_string(WEXITSTATUS(status));
  }
  return "parser process ended with wait status " + std::to_string(status);
}

/// What the parent read from the child.
struct Collected {
  std::vector<std::uint8_t> bytes;
  bool timed_out = false;
  std::string problem;  ///< read error or size limit
};

/// Reads the child's result to EOF, answering its read requests meanwhile, and kills it at the
/// deadline.
Collected collect(int result_fd,
                  int serve_fd,
                  const ByteSource* serve,
                  const ChildGuard& child,
                  std::chrono::seconds timeout) {
  Collected c;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool killed = false;
  std::array<pollfd, 2> fds{pollfd{result_fd, POLLIN, 0}, pollfd{serve_fd, POLLIN, 0}};
  const nfds_t nfds = serve != nullptr ? 2 : 1;
  std::vector<std::uint8_t> served;
  std::array<std::uint8_t, 1 << 16> buf{};
  for (;;) {
    int wait_ms = -1;
    if (timeout.count() > 0 && !killed) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      wait_ms = static_cast<int>(std::max<std::int64_t>(left.count(), 0));
    }
    const int ready = ::poll(fds.data(), nfds, wait_ms);
    if (ready < 0 && errno == EINTR) {
      continue;
    }
    if (ready == 0) {
      child.kill();  // keep reading: EOF comes when the child is gone
      killed = true;
      c.timed_out = true;
      continue;
    }
    if (nfds == 2 && fds[1].fd >= 0 && fds[1].revents != 0 &&
        !serve_one(fds[1].fd, *serve, served)) {
      fds[1].fd = -1;  // the child closed its end (or died): nothing more to serve
    }
    if (fds[0].revents == 0) {
      continue;
    }
    const ssize_t n = ::read(result_fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      c.problem = std::string("reading the parser process's output failed: ") +
                  std::strerror(errno);  // NOLINT(concurrency-mt-unsafe): no other thread runs
      child.kill();
      return c;
    }
    if (n == 0) {
      return c;
    }
    if (c.bytes.size() + static_cast<std::size_t>(n) > kMaxResultBytes) {
      c.problem = "parser process sent more than " + std::to_string(kMaxResultBytes >> 20) +
                  " MiB; refused";
      child.kill();
      return c;
    }
    c.bytes.insert(c.bytes.end(), buf.begin(), buf.begin() + n);
  }
}

/// Runs `read` (a reader call filling a DiagnosticSink) in-process, or in a child whose result
/// comes back through the wire format;
///  `read(sink, served)` gets the child's view of `serve` (nullptr when not served).
template <typename T, typename Read, typename Decode>
Result<T> run_reader(const ParserRunner& runner,
                     const std::string& artifact,
                     DiagnosticSink& sink,
                     Read read,
                     Decode decode,
                     const ByteSource* serve = nullptr) {
  if (!runner.isolate) {
    return read(sink, nullptr);
  }
  auto bytes = run_in_child(
      artifact,
      [&read](const ByteSource* served) {
        DiagnosticSink child_sink;
        const Result<T> result = read(child_sink, served);
        return facts::wire::encode(result, child_sink.items());
      },
      runner.timeout,
      serve);
  if (!bytes) {
    return fail(std::move(bytes).error());
  }
  auto message = decode(std::span<const std::uint8_t>(*bytes));
  if (!message) {
    return fail(ErrorCode::kParserCrashed,
                artifact,
                "parser process sent an undecodable result (" + message.error().detail + ")");
  }
  for (auto& d : message->diagnostics) {
    sink.add(std::move(d));
  }
  return std::move(message->result);
}

}  // namespace

ParserRunner parser_runner(Isolation isolation, std::chrono::seconds timeout, bool from_image) {
  ParserRunner r;
  r.isolate = isolation == Isolation::kAlways || (isolation == Isolation::kAuto && from_image);
  r.timeout = timeout;
  r.serve_reads = r.isolate && from_image;
  return r;
}

Result<std::vector<std::uint8_t>> run_in_child(const std::string& artifact,
                                               const ChildWork& work,
                                               std::chrono::seconds timeout,
                                               const ByteSource* serve) {
  // NOLINTBEGIN(concurrency-mt-unsafe): strerror is called only from the pipeline thread
  std::array<int, 2> fds{-1, -1};
  if (::pipe2(fds.data(), O_CLOEXEC) != 0) {
    return fail(
        ErrorCode::kIo,
        artifact,
        std::string("cannot create a pipe for the parser process: ") + std::strerror(errno));
  }
  UniqueFd read_end(fds[0]);
  UniqueFd write_end(fds[1]);
  std::array<int, 2> sock{-1, -1};
  if (serve != nullptr && ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sock.data()) != 0) {
    return fail(
        ErrorCode::kIo,
        artifact,
        std::string("cannot create a socket for the parser process: ") + std::strerror(errno));
  }
  UniqueFd serve_parent(sock[0]);
  UniqueFd serve_child(sock[1]);
  const pid_t pid = ::fork();
  if (pid < 0) {
    return fail(ErrorCode::kIo,
                artifact,
                std::string("cannot start the parser process: ") + std::strerror(errno));
  }
  // NOLINTEND(concurrency-mt-unsafe)
  if (pid == 0) {
    read_end.reset();
    serve_parent.reset();
    child_main(write_end.get(), serve_child.get(), serve, artifact, work);
  }
  ChildGuard child(pid);
  write_end.reset();  // EOF on read_end once the child is gone
  serve_child.reset();
  if (serve != nullptr && timeout.count() > 0) {
    // A child stuck half-way through a request (or not reading its reply) must not block the
    // parent past the timeout either: socket calls give up then, and the deadline kills it.
    const timeval limit{static_cast<time_t>(timeout.count()), 0};
    (void)::setsockopt(serve_parent.get(), SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
    (void)::setsockopt(serve_parent.get(), SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  }
  Collected out = collect(read_end.get(), serve_parent.get(), serve, child, timeout);
  const int status = child.wait();
  if (!out.problem.empty()) {
    return fail(ErrorCode::kParserCrashed, artifact, out.problem);
  }
  if (out.timed_out || status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return fail(
        ErrorCode::kParserCrashed, artifact, describe_status(status, out.timed_out, timeout));
  }
  return std::move(out.bytes);
}

Result<facts::SystemHive> ParserRunner::system_hive(const std::string& path,
                                                    DiagnosticSink& sink) const {
  return run_reader<facts::SystemHive>(
      *this,
      path,
      sink,
      [&path](DiagnosticSink& s, const ByteSource* /*served*/) {
        return readers::read_system_hive(path, s);
      },
      facts::wire::decode_system_hive);
}

Result<facts::SystemHive> ParserRunner::system_hive_image(std::span<const std::uint8_t> image,
                                                          const std::string& display_path,
                                                          DiagnosticSink& sink) const {
  return run_reader<facts::SystemHive>(
      *this,
      display_path,
      sink,
      [image, &display_path](DiagnosticSink& s, const ByteSource* /*served*/) {
        return readers::read_system_hive_image(image, display_path, s);
      },
      facts::wire::decode_system_hive);
}

Result<facts::SoftwareHive> ParserRunner::software_hive(const std::string& path,
                                                        DiagnosticSink& sink) const {
  return run_reader<facts::SoftwareHive>(
      *this,
      path,
      sink,
      [&path](DiagnosticSink& s, const ByteSource* /*served*/) {
        return readers::read_software_hive(path, s);
      },
      facts::wire::decode_software_hive);
}

Result<facts::SoftwareHive> ParserRunner::software_hive_image(std::span<const std::uint8_t> image,
                                                              const std::string& display_path,
                                                              DiagnosticSink& sink) const {
  return run_reader<facts::SoftwareHive>(
      *this,
      display_path,
      sink,
      [image, &display_path](DiagnosticSink& s, const ByteSource* /*served*/) {
        return readers::read_software_hive_image(image, display_path, s);
      },
      facts::wire::decode_software_hive);
}

Result<facts::EventLogFile> ParserRunner::event_log(const ByteSource& source,
                                                    DiagnosticSink& sink,
                                                    const readers::EvtxReadOptions& options) const {
  if (!isolate) {
    return readers::read_event_log(source, sink, nullptr, options);
  }
  facts::TextPool pool;  // event strings are interned again on the way in
  return run_reader<facts::EventLogFile>(
      *this,
      source.name(),
      sink,
      [&source, &options](DiagnosticSink& s, const ByteSource* served) {
        readers::EvtxReadOptions o = options;
        o.progress = nullptr;  // the parent's status line is not reachable from the child
        return readers::read_event_log(served != nullptr ? *served : source, s, nullptr, o);
      },
      [&pool](std::span<const std::uint8_t> bytes) {
        return facts::wire::decode_event_log_file(bytes, pool);
      },
      serve_reads ? &source : nullptr);
}

}  // namespace smssaudit::app
