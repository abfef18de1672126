// Helpers shared by the disk-image tests: where scripts/mkimage put the fixture images, SHA-256 of
// files and ByteSources, and running the sleuthkit CLI tools for cross-checks.
#pragma once

#include "smssaudit/core/byte_source.hpp"
#include "support/catch.hpp"
#include "support/paths.hpp"

#include <openssl/evp.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <sys/stat.h>
#include <vector>

namespace smssaudit::testing::image {

inline std::string images_dir() {
  return std::string(SMSSAUDIT_FIXTURE_OUT) + "/images";
}

inline std::string demo_image(const std::string& name) {
  return images_dir() + "/demo/" + name;
}

inline std::string bad_image(const std::string& name) {
  return images_dir() + "/bad/" + name;
}

inline bool file_exists(const std::string& path) {
  struct stat st {};

  return ::stat(path.c_str(), &st) == 0;
}

/// False (after a WARN) when the fixture images were not generated (tools missing).
inline bool have_images() {
  if (file_exists(demo_image("mbr.raw")) && file_exists(bad_image("random.bin"))) {
    return true;
  }
  WARN("disk-image fixtures missing under " << images_dir()
                                            << " (mkntfs, sfdisk, ewfacquire, qemu-img, "
                                               "libntfs-3g needed): skipped");
  return false;
}

class Sha256 {
 public:
  Sha256() : ctx_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr); }

  void update(const void* data, std::size_t n) { EVP_DigestUpdate(ctx_.get(), data, n); }

  std::string hex() {
    std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx_.get(), md.data(), &len);
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < len; ++i) {
      out.push_back(kHex[md[i] >> 4U]);
      out.push_back(kHex[md[i] & 15U]);
    }
    return out;
  }

 private:
  struct Free {
    void operator()(EVP_MD_CTX* c) const noexcept { EVP_MD_CTX_free(c); }
  };

  std::unique_ptr<EVP_MD_CTX, Free> ctx_;
};

inline std::string sha256_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  Sha256 h;
  std::vector<char> buf(1 << 16);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    h.update(buf.data(), static_cast<std::size_t>(in.gcount()));
  }
  return h.hex();
}

/// Reads the whole source in 64 KiB steps; "" when a read fails (the error goes to `error`).
inline std::string sha256_source(const ByteSource& src, std::string* error = nullptr) {
  Sha256 h;
  std::vector<std::uint8_t> buf(1 << 16);
  std::uint64_t off = 0;
  while (off < src.size()) {
    auto n = src.read_at(off, buf);
    if (!n) {
      if (error != nullptr) {
        *error = n.error().message();
      }
      return "";
    }
    if (*n == 0) {
      break;
    }
    h.update(buf.data(), *n);
    off += *n;
  }
  return h.hex();
}

/// stdout of a shell command ("" when it cannot be run).
inline std::string run(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) {
    return out;
  }
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) {
    out.append(buf.data(), n);
  }
  ::pclose(p);
  return out;
}

inline bool have_tool(const std::string& name) {
  return !run("command -v " + name + " 2>/dev/null").empty();
}

/// mtime (ns) of a file, to show reading did not touch it.
inline long long mtime_ns(const std::string& path) {
  struct stat st {};

  if (::stat(path.c_str(), &st) != 0) {
    return -1;
  }
  return static_cast<long long>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec;
}

}  // namespace smssaudit::testing::image
