// Helpers for the robustness tests: run a check in a forked child under a watchdog (a crash or a
// hang becomes a test failure naming the input instead of killing the suite), temp folders, byte
// patching of generated fixtures, and a CRC32 to re-seal patched EVTX chunks.
#pragma once

#include "support/time_scale.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <poll.h>
#include <signal.h>
#include <span>
#include <stdexcept>
#include <string>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace smssaudit::testing::robust {

namespace fs = std::filesystem;

/// True in an AddressSanitizer build (scripts/test-sanitizers). ASan reserves terabytes of address
/// space for its shadow memory at start-up, so an RLIMIT_AS limit cannot be applied there; the
/// tests that bound memory that way check the child's peak RSS instead (ChildOutcome::max_rss_kib).
#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kAddressSanitizer = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool kAddressSanitizer = true;
#else
inline constexpr bool kAddressSanitizer = false;
#endif
#else
inline constexpr bool kAddressSanitizer = false;
#endif

/// How a child run ended.
struct ChildOutcome {
  bool timed_out = false;
  int signal = 0;        ///< terminating signal, 0 when it exited
  int exit_code = -1;    ///< exit status when it exited
  std::string output;    ///< what the child wrote with ChildReport::say
  long max_rss_kib = 0;  ///< the child's peak resident set size (getrusage ru_maxrss)

  bool ok() const noexcept { return !timed_out && signal == 0 && exit_code == 0; }

  std::string describe() const {
    if (timed_out) {
      return "timed out (killed by the watchdog); output: " + output;
    }
    if (signal != 0) {
      return "killed by signal " + std::to_string(signal) + "; output: " + output;
    }
    return "exit " + std::to_string(exit_code) + "; output: " + output;
  }
};

/// The child's channel back to the parent.
class ChildReport {
 public:
  explicit ChildReport(int fd) : fd_(fd) {}

  void say(const std::string& line) const {
    const std::string l = line + "\n";
    std::size_t done = 0;
    while (done < l.size()) {
      const auto n = ::write(fd_, l.data() + done, l.size() - done);
      if (n <= 0) {
        return;
      }
      done += static_cast<std::size_t>(n);
    }
  }

 private:
  int fd_;
};

/// Runs `body` in a forked child and waits at most `timeout_s` seconds times
/// SMSSAUDIT_TEST_TIME_SCALE (a generous watchdog, not a timing assertion). `body` returns the
/// child's exit code (0 = every check passed) and reports failures through ChildReport. The child
/// leaves with _exit, so no Catch2 state is touched.
inline ChildOutcome run_isolated(const std::function<int(const ChildReport&)>& body,
                                 int timeout_s) {
  std::array<int, 2> fds{};
  if (::pipe(fds.data()) != 0) {
    throw std::runtime_error("pipe failed");
  }
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) {
    throw std::runtime_error("fork failed");
  }
  if (pid == 0) {
    ::close(fds[0]);
    // Default dispositions: the child dies by the signal itself instead of running the test
    // framework's fatal-signal handler (whose report belongs to the parent).
    for (const int sig : {SIGSEGV, SIGBUS, SIGABRT, SIGILL, SIGFPE}) {
      ::signal(sig, SIG_DFL);
    }
    int code = 99;
    try {
      code = body(ChildReport(fds[1]));
    } catch (const std::exception& e) {
      ChildReport(fds[1]).say(std::string("exception: ") + e.what());
      code = 98;
    }
    ::_exit(code);
  }
  ::close(fds[1]);
  ChildOutcome out;
  int remaining_ms = scaled_seconds(timeout_s) * 1000;
  std::array<char, 4096> buf{};
  while (true) {
    pollfd p{fds[0], POLLIN, 0};
    const int slice = 200;
    const int r = ::poll(&p, 1, slice);
    if (r > 0) {
      const auto n = ::read(fds[0], buf.data(), buf.size());
      if (n > 0) {
        if (out.output.size() < 64 * 1024) {
          out.output.append(buf.data(), static_cast<std::size_t>(n));
        }
        continue;
      }
      break;  // EOF: the child closed the pipe (it ended)
    }
    remaining_ms -= slice;
    if (remaining_ms <= 0) {
      out.timed_out = true;
      ::kill(pid, SIGKILL);
      break;
    }
  }
  ::close(fds[0]);
  int status = 0;
  rusage usage{};
  ::wait4(pid, &status, 0, &usage);
  out.max_rss_kib = usage.ru_maxrss;
  if (!out.timed_out) {
    if (WIFSIGNALED(status)) {
      out.signal = WTERMSIG(status);
    } else if (WIFEXITED(status)) {
      out.exit_code = WEXITSTATUS(status);
    }
  }
  return out;
}

/// A copy of some bytes placed so that they end exactly at an inaccessible (PROT_NONE) page: a
/// read past the end faults at once, in the normal build, without a sanitizer. Used for the
/// in-memory hive paths (libregf reads the image through libbfio).
class GuardedBytes {
 public:
  explicit GuardedBytes(std::span<const std::uint8_t> bytes) {
    const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    const std::size_t data_pages = (bytes.size() + page - 1) / page;
    total_ = (data_pages + 1) * page;
    void* m = ::mmap(nullptr, total_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) {
      throw std::runtime_error("mmap failed");
    }
    base_ = static_cast<std::uint8_t*>(m);
    std::uint8_t* guard = base_ + data_pages * page;
    if (::mprotect(guard, page, PROT_NONE) != 0) {
      ::munmap(base_, total_);
      throw std::runtime_error("mprotect failed");
    }
    data_ = guard - bytes.size();
    std::copy(bytes.begin(), bytes.end(), data_);
    size_ = bytes.size();
  }

  GuardedBytes(const GuardedBytes&) = delete;
  GuardedBytes& operator=(const GuardedBytes&) = delete;
  GuardedBytes(GuardedBytes&&) = delete;
  GuardedBytes& operator=(GuardedBytes&&) = delete;

  ~GuardedBytes() { ::munmap(base_, total_); }

  std::span<const std::uint8_t> span() const noexcept { return {data_, size_}; }

 private:
  std::uint8_t* base_ = nullptr;
  std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t total_ = 0;
};

/// A fresh folder under the system temp folder, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir() {
    std::string templ = (fs::temp_directory_path() / "smssaudit-robust-XXXXXX").string();
    if (::mkdtemp(templ.data()) == nullptr) {
      throw std::runtime_error("mkdtemp failed");
    }
    path_ = templ;
  }

  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  TempDir(TempDir&&) = delete;
  TempDir& operator=(TempDir&&) = delete;

  ~TempDir() {
    std::error_code ec;
    fs::permissions(path_, fs::perms::owner_all, fs::perm_options::add, ec);
    fs::remove_all(path_, ec);
  }

  const fs::path& path() const noexcept { return path_; }

 private:
  fs::path path_;
};

inline std::vector<std::uint8_t> read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) {
    throw std::runtime_error("cannot read " + p.string());
  }
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void write_bytes(const fs::path& p, std::span<const std::uint8_t> bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),  // NOLINT
            static_cast<std::streamsize>(bytes.size()));
  if (!out) {
    throw std::runtime_error("cannot write " + p.string());
  }
}

inline std::uint32_t get_u32(std::span<const std::uint8_t> b, std::size_t at) {
  return static_cast<std::uint32_t>(b[at]) | (static_cast<std::uint32_t>(b[at + 1]) << 8U) |
         (static_cast<std::uint32_t>(b[at + 2]) << 16U) |
         (static_cast<std::uint32_t>(b[at + 3]) << 24U);
}

inline std::uint16_t get_u16(std::span<const std::uint8_t> b, std::size_t at) {
  return static_cast<std::uint16_t>(b[at] | (b[at + 1] << 8U));
}

inline void put_u32(std::vector<std::uint8_t>& b, std::size_t at, std::uint32_t v) {
  for (std::size_t i = 0; i < 4; ++i) {
    b[at + i] = static_cast<std::uint8_t>(v >> (8U * i));
  }
}

inline void put_u16(std::vector<std::uint8_t>& b, std::size_t at, std::uint16_t v) {
  b[at] = static_cast<std::uint8_t>(v);
  b[at + 1] = static_cast<std::uint8_t>(v >> 8U);
}

/// Four little-endian bytes: registry DWORD data for the hive writer.
inline std::vector<std::uint8_t> le32(std::uint32_t v) {
  std::vector<std::uint8_t> b(4);
  put_u32(b, 0, v);
  return b;
}

/// UTF-16LE REG_MULTI_SZ data of `items` (ASCII), list terminator included.
inline std::vector<std::uint8_t> multi_sz(const std::vector<std::string>& items) {
  std::vector<std::uint8_t> b;
  for (const auto& s : items) {
    for (const char c : s) {
      b.push_back(static_cast<std::uint8_t>(c));
      b.push_back(0);
    }
    b.insert(b.end(), {0, 0});
  }
  b.insert(b.end(), {0, 0});
  return b;
}

inline void put_u64(std::vector<std::uint8_t>& b, std::size_t at, std::uint64_t v) {
  for (std::size_t i = 0; i < 8; ++i) {
    b[at + i] = static_cast<std::uint8_t>(v >> (8U * i));
  }
}

/// CRC32 (IEEE, reflected, as EVTX uses for its header and chunk checksums).
inline std::uint32_t crc32(std::span<const std::uint8_t> data, std::uint32_t crc = 0) {
  crc = ~crc;
  for (const auto byte : data) {
    crc ^= byte;
    for (int k = 0; k < 8; ++k) {
      crc = (crc >> 1U) ^ (0xEDB88320U & (0U - (crc & 1U)));
    }
  }
  return ~crc;
}

/// EVTX file header (+124: CRC32 of bytes 0..119).
inline void reseal_evtx_header(std::vector<std::uint8_t>& f) {
  put_u32(f, 124, crc32(std::span<const std::uint8_t>(f).first(120)));
}

/// EVTX chunk at `chunk` (+52: CRC32 of 512..free-space offset; +124: CRC32 of 0..119 and
/// 128..511), recomputed after a patch so the reader looks past the checksums.
inline void reseal_evtx_chunk(std::vector<std::uint8_t>& f, std::size_t chunk) {
  const std::span<const std::uint8_t> c(f.data() + chunk, 65536);
  const std::uint32_t free_off = get_u32(c, 48);
  if (free_off >= 512 && free_off <= 65536) {
    put_u32(f, chunk + 52, crc32(c.subspan(512, free_off - 512)));
  }
  const std::uint32_t head = crc32(c.subspan(128, 384), crc32(c.first(120)));
  put_u32(f, chunk + 124, head);
}

/// REGF base block +508, recomputed (Windows' rule) after a base-block patch.
inline void reseal_regf_base_block(std::vector<std::uint8_t>& f) {
  std::uint32_t x = 0;
  for (std::size_t i = 0; i < 508; i += 4) {
    x ^= get_u32(f, i);
  }
  if (x == 0) {
    x = 1;
  } else if (x == 0xFFFFFFFFU) {
    x = 0xFFFFFFFEU;
  }
  put_u32(f, 508, x);
}

/// File offset of the first nk cell whose (ASCII) name is `name`, or npos.
inline std::size_t find_nk(std::span<const std::uint8_t> f, const std::string& name) {
  // nk: "nk" +0, name length +72 (u16), name +76 (formats.md 10).
  for (std::size_t i = 4096; i + 76 + name.size() <= f.size(); ++i) {
    if (f[i] == 'n' && f[i + 1] == 'k' && get_u16(f, i + 72) == name.size() &&
        std::equal(name.begin(), name.end(), f.begin() + static_cast<std::ptrdiff_t>(i + 76))) {
      return i;
    }
  }
  return std::string::npos;
}

/// File offset of the first vk cell whose (ASCII) name is `name`, or npos.
inline std::size_t find_vk(std::span<const std::uint8_t> f, const std::string& name) {
  // vk: "vk" +0, name length +2 (u16), data size +4, data offset +8, type +12, name +20.
  for (std::size_t i = 4096; i + 20 + name.size() <= f.size(); ++i) {
    if (f[i] == 'v' && f[i + 1] == 'k' && get_u16(f, i + 2) == name.size() &&
        std::equal(name.begin(), name.end(), f.begin() + static_cast<std::ptrdiff_t>(i + 20))) {
      return i;
    }
  }
  return std::string::npos;
}

/// Runs a shell command line and returns its exit status as system() reports it.
inline int shell(const std::string& cmd) {
  return std::system(cmd.c_str());  // NOLINT(cert-env33-c): test-only, fixed command lines
}

inline std::string quote(const std::string& s) {
  std::string out = "'";
  for (const char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

}  // namespace smssaudit::testing::robust
