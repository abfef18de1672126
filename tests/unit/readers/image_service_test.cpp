// The disk-image service (src/readers/image/tsk/service.hpp): TSK runs in smssaudit-imaged, so a
// crash or a hang there loses the one read in flight, named, and every other file of the image
// still reads, through a new service. The faults are injected with the service's test hooks
// (SMSSAUDIT_FAULT_IMAGED_CRASH / _HANG), which the service reads from the environment it
// inherits when it starts.
#include "smssaudit/readers/image.hpp"
#include "unit/readers/image_support.hpp"

#include <chrono>
#include <cstdlib>
#include <sys/wait.h>
#include <unistd.h>

namespace {

using smssaudit::DiagnosticSink;
using smssaudit::ErrorCode;
using smssaudit::readers::image::DiskImage;
using smssaudit::readers::image::Installation;
using smssaudit::readers::image::open_disk_image;
namespace img = smssaudit::testing::image;

constexpr const char* kSystem = "Windows/System32/config/SYSTEM";
constexpr const char* kSecurity = "Windows/System32/winevt/Logs/Security.evtx";
constexpr const char* kSystemLog = "Windows/System32/winevt/Logs/System.evtx";

/// Sets an environment variable for the scope of a test (services started meanwhile inherit it).
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    ::setenv(name_, value.c_str(), 1);  // NOLINT(concurrency-mt-unsafe): tests run one at a time
  }

  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;
  ScopedEnv(ScopedEnv&&) = delete;
  ScopedEnv& operator=(ScopedEnv&&) = delete;

  ~ScopedEnv() { ::unsetenv(name_); }  // NOLINT(concurrency-mt-unsafe)

 private:
  const char* name_;
};

struct Opened {
  DiskImage image;
  Installation inst;
};

Opened open_demo(const std::string& name) {
  DiagnosticSink sink;
  auto image = open_disk_image({img::demo_image(name)}, sink);
  REQUIRE(image.has_value());
  auto found = image->installations(sink);
  REQUIRE(found.size() == 1);
  return Opened{std::move(*image), found.front()};
}

std::string fixture_sha(const std::string& rel) {
  return img::sha256_file(smssaudit::testing::fixture_dir(rel));
}

std::string log_sha(const std::string& name) {
  return img::sha256_file(smssaudit::testing::evtx_fixture_dir("demo_compromised") + "/" + name);
}

}  // namespace

TEST_CASE("a crash in the image service loses only the file being read", "[image][isolation]") {
  if (!img::have_images()) {
    return;
  }
  const ScopedEnv crash("SMSSAUDIT_FAULT_IMAGED_CRASH", "Security.evtx");
  auto [image, inst] = open_demo("mbr.raw");
  auto system = image.open(inst, kSystem);
  REQUIRE(system.has_value());

  auto security = image.open(inst, kSecurity);
  REQUIRE_FALSE(security.has_value());
  CHECK(security.error().code == ErrorCode::kIo);
  CHECK(security.error().context == inst.label() + ":" + "/" + kSecurity);
  CHECK(security.error().detail.find("killed by SIGSEGV") != std::string::npos);

  // The source opened before the crash reopens itself in the new service and reads intact.
  CHECK(img::sha256_source(**system) == fixture_sha("demo_compromised/SYSTEM"));
  auto system_log = image.open(inst, kSystemLog);
  REQUIRE(system_log.has_value());
  CHECK(img::sha256_source(**system_log) == log_sha("System.evtx"));
}

TEST_CASE("a crash while reading E01 is contained too", "[image][isolation]") {
  if (!img::have_images()) {
    return;
  }
  const ScopedEnv crash("SMSSAUDIT_FAULT_IMAGED_CRASH", "Security.evtx");
  auto [image, inst] = open_demo("mbr.E01");
  CHECK(image.format() == "ewf");
  CHECK_FALSE(image.open(inst, kSecurity).has_value());
  auto system = image.open(inst, kSystem);
  REQUIRE(system.has_value());
  CHECK(img::sha256_source(**system) == fixture_sha("demo_compromised/SYSTEM"));
}

TEST_CASE("a service that crashes on every file is given up after a few restarts",
          "[image][isolation]") {
  if (!img::have_images()) {
    return;
  }
  const ScopedEnv crash("SMSSAUDIT_FAULT_IMAGED_CRASH", "/Windows/");
  auto [image, inst] = open_demo("gpt.raw");
  std::vector<std::string> details;
  for (int i = 0; i < 6; ++i) {
    auto s = image.open(inst, kSystem);
    REQUIRE_FALSE(s.has_value());
    details.push_back(s.error().detail);
  }
  // The first crash, three restarts that crash again, then no more services.
  for (int i = 0; i < 4; ++i) {
    INFO(details[static_cast<std::size_t>(i)]);
    CHECK(details[static_cast<std::size_t>(i)].find("killed by SIGSEGV") != std::string::npos);
  }
  CHECK(details[4].find("the rest of this image is not read") != std::string::npos);
  CHECK(details[5] == details[4]);
}

TEST_CASE("a hung image service is stopped after the timeout", "[image][isolation]") {
  if (!img::have_images()) {
    return;
  }
  const ScopedEnv hang("SMSSAUDIT_FAULT_IMAGED_HANG", "Security.evtx");
  const ScopedEnv timeout("SMSSAUDIT_IMAGED_TIMEOUT", "2");
  auto [image, inst] = open_demo("mbr.raw");
  const auto t0 = std::chrono::steady_clock::now();
  auto security = image.open(inst, kSecurity);
  const auto waited = std::chrono::steady_clock::now() - t0;
  REQUIRE_FALSE(security.has_value());
  CHECK(security.error().detail.find("did not answer within 2 s") != std::string::npos);
  CHECK(waited < std::chrono::seconds(30));
  auto system = image.open(inst, kSystem);
  REQUIRE(system.has_value());
  CHECK(img::sha256_source(**system) == fixture_sha("demo_compromised/SYSTEM"));
}

TEST_CASE("a forked child reads image files through a service of its own", "[image][isolation]") {
  if (!img::have_images()) {
    return;
  }
  auto [image, inst] = open_demo("mbr.raw");
  auto system = image.open(inst, kSystem);
  REQUIRE(system.has_value());
  const std::string want = fixture_sha("demo_compromised/SYSTEM");
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    // The child: the parent's connection is not touched; reads go through a new service.
    const bool good =
        img::sha256_source(**system) == want && image.open(inst, kSystemLog).has_value();
    ::_exit(good ? 0 : 1);
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  // The parent's connection still answers, in step.
  CHECK(img::sha256_source(**system) == want);
  auto security = image.open(inst, kSecurity);
  REQUIRE(security.has_value());
  CHECK(img::sha256_source(**security) == log_sha("Security.evtx"));
}
