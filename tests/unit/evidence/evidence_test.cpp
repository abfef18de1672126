// Unit tests for evidence: SHA-256 helpers and describe_file on a scratch file.
#include "smssaudit/evidence/evidence.hpp"

#include "evidence/read_only_file.hpp"
#include "support/catch.hpp"

#include <array>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <sys/stat.h>
#include <type_traits>
#include <unistd.h>
#include <utility>

using namespace smssaudit;

namespace {

/// A scratch file in the build tree's temp area, removed on scope exit.
class TempFile {
 public:
  explicit TempFile(const std::string& content)
      : path_("/tmp/smssaudit_evidence_test_" + std::to_string(::getpid())) {
    std::ofstream(path_, std::ios::binary) << content;
  }

  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  ~TempFile() { std::remove(path_.c_str()); }

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace

TEST_CASE("SHA-256 of a byte range matches the FIPS 180-2 test vector", "[evidence]") {
  CHECK(evidence::sha256_hex("abc", 3) ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(evidence::sha256_hex("", 0) ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_CASE("describe_file reports size, hash, kind and status of a file", "[evidence]") {
  // Larger than one 1 MiB read block, so the streaming loop runs more than once.
  const std::string content(1024 * 1024 + 3, 'x');
  const TempFile f(content);
  const auto ev = evidence::describe_file(f.path(), evidence::kKindSystemHive);
  REQUIRE(ev);
  CHECK(ev->path == f.path());
  CHECK(ev->kind == "system_hive");
  CHECK(ev->size == content.size());
  CHECK(ev->sha256 == evidence::sha256_hex(content.data(), content.size()));
  CHECK(ev->status == "ok");
}

TEST_CASE("describe_file fails with not_found for a missing file and io for a directory",
          "[evidence]") {
  const auto missing = evidence::describe_file("/nonexistent/SYSTEM", evidence::kKindSystemHive);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == ErrorCode::kNotFound);
  CHECK(missing.error().context == "/nonexistent/SYSTEM");
  const auto dir = evidence::describe_file("/tmp", evidence::kKindSystemHive);
  REQUIRE_FALSE(dir);
  CHECK(dir.error().code == ErrorCode::kIo);
}

TEST_CASE("ReadOnlyFile is move-only and reads up to a full buffer, short only at the end",
          "[evidence]") {
  STATIC_REQUIRE_FALSE(std::is_copy_constructible_v<evidence::ReadOnlyFile>);
  STATIC_REQUIRE(std::is_nothrow_move_constructible_v<evidence::ReadOnlyFile>);
  const TempFile f("0123456789");
  auto opened = evidence::ReadOnlyFile::open(f.path());
  REQUIRE(opened);
  // The moved-to object owns the descriptor; the moved-from one must not close it.
  evidence::ReadOnlyFile file = std::move(opened).value();
  CHECK(file.size() == 10);
  std::array<std::uint8_t, 4> buf{};
  const auto first = file.read_up_to(buf);
  REQUIRE(first);
  CHECK(*first == 4);
  CHECK(buf[0] == '0');
  CHECK(file.read_up_to(buf).value() == 4);
  CHECK(file.read_up_to(buf).value() == 2);  // the last two bytes
  CHECK(buf[1] == '9');
  CHECK(file.read_up_to(buf).value() == 0);  // end of file
}

TEST_CASE("ReadOnlyFile::will_need is only a hint: reads and the file stay the same",
          "[evidence]") {
  const TempFile f("0123456789");

  struct stat before {};

  REQUIRE(::stat(f.path().c_str(), &before) == 0);
  auto file = evidence::ReadOnlyFile::open(f.path()).value();
  file.will_need(0, 10);
  file.will_need(5, 1000);  // past the end: harmless
  std::array<std::uint8_t, 10> buf{};
  CHECK(file.read_at(0, buf).value() == 10);
  CHECK(std::string(buf.begin(), buf.end()) == "0123456789");

  struct stat after {};

  REQUIRE(::stat(f.path().c_str(), &after) == 0);
  CHECK(after.st_size == before.st_size);
  CHECK(after.st_mtim.tv_sec == before.st_mtim.tv_sec);
  CHECK(after.st_mtim.tv_nsec == before.st_mtim.tv_nsec);
}

TEST_CASE("ReadOnlyFile::open refuses missing files and non-regular files", "[evidence]") {
  const auto missing = evidence::ReadOnlyFile::open("/nonexistent/SYSTEM");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == ErrorCode::kNotFound);
  CHECK(missing.error().context == "/nonexistent/SYSTEM");
  const auto dir = evidence::ReadOnlyFile::open("/tmp");
  REQUIRE_FALSE(dir);
  CHECK(dir.error().code == ErrorCode::kIo);
  CHECK(dir.error().detail == "not a regular file");
}
