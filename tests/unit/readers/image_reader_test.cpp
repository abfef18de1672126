// Disk images through TSK: every container scripts/mkimage builds (bare, MBR, GPT, split raw, E01
// in one and in three segments, VMDK, VHD) holds one Windows installation whose files read back
// byte for byte as the fixture files they were made from.
#include "smssaudit/readers/image.hpp"
#include "unit/readers/image_support.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <random>
#include <sstream>
#include <thread>

namespace {

using smssaudit::DiagLevel;
using smssaudit::DiagnosticSink;
using smssaudit::ErrorCode;
using smssaudit::readers::image::ArtifactRole;
using smssaudit::readers::image::DiskImage;
using smssaudit::readers::image::find_segments;
using smssaudit::readers::image::Installation;
using smssaudit::readers::image::is_secondary_segment;
using smssaudit::readers::image::looks_like_disk_image;
using smssaudit::readers::image::open_disk_image;
namespace img = smssaudit::testing::image;

constexpr std::uint64_t kPartitionOffset = 1048576;

std::string hive(const std::string& rel) {
  return smssaudit::testing::fixture_dir(rel);
}

std::string log_file(const std::string& name) {
  return smssaudit::testing::evtx_fixture_dir("demo_compromised") + "/" + name;
}

bool has_error(const DiagnosticSink& sink) {
  return std::any_of(sink.items().begin(), sink.items().end(), [](const auto& d) {
    return d.level == DiagLevel::kError || d.level == DiagLevel::kWarning;
  });
}

std::string dump(const DiagnosticSink& sink) {
  std::ostringstream os;
  for (const auto& d : sink.items()) {
    os << smssaudit::to_string(d.level) << " " << d.code << " " << d.source << " [" << d.location
       << "] " << d.message << "\n";
  }
  return os.str();
}

struct Container {
  std::string file;
  std::uint64_t offset;
  std::string format;
  std::string description;
  std::size_t segments;
};

}  // namespace

TEST_CASE("every container holds one installation whose SYSTEM reads back intact", "[image]") {
  if (!img::have_images()) {
    return;
  }
  const std::string want = img::sha256_file(hive("demo_compromised/SYSTEM"));
  const std::vector<Container> containers = {
      {"bare.raw", 0, "raw", "bare volume", 1},
      {"mbr.raw", kPartitionOffset, "raw", "NTFS / exFAT (0x07)", 1},
      {"gpt.raw", kPartitionOffset, "raw", "Basic data partition", 1},
      {"split.raw.001", kPartitionOffset, "raw", "Basic data partition", 4},
      {"mbr.E01", kPartitionOffset, "ewf", "NTFS / exFAT (0x07)", 1},
      {"seg.E01", kPartitionOffset, "ewf", "Basic data partition", 3},
      {"mbr.vmdk", kPartitionOffset, "vmdk", "NTFS / exFAT (0x07)", 1},
      {"mbr.vhd", kPartitionOffset, "vhd", "NTFS / exFAT (0x07)", 1},
  };
  for (const auto& c : containers) {
    SECTION(c.file) {
      const std::string path = img::demo_image(c.file);
      DiagnosticSink sink;
      auto image = open_disk_image({path}, sink);
      REQUIRE(image.has_value());
      CHECK(image->format() == c.format);
      CHECK(image->segments().size() == c.segments);
      CHECK(image->path() == path);
      const auto found = image->installations(sink);
      INFO(dump(sink));
      CHECK_FALSE(has_error(sink));
      REQUIRE(found.size() == 1);
      const Installation& inst = found.front();
      CHECK(inst.offset == c.offset);
      CHECK(inst.size == 16U * 1048576U);
      CHECK(inst.partition_number == (c.offset == 0 ? 0U : 1U));
      CHECK(inst.description == c.description);
      CHECK(inst.volume_label == "WINSYS");
      CHECK(inst.volume_serial.size() == 16);
      CHECK(inst.system_hive.ntfs_path == "/Windows/System32/config/SYSTEM");
      CHECK(inst.label() == path + "@" + std::to_string(c.offset));

      auto src = image->open(inst, "Windows/System32/config/SYSTEM");
      REQUIRE(src.has_value());
      CHECK((*src)->name() ==
            path + "@" + std::to_string(c.offset) + ":/Windows/System32/config/SYSTEM");
      CHECK((*src)->size() == 32768);
      CHECK(img::sha256_source(**src) == want);
    }
  }
}

TEST_CASE("the artifacts of an installation are listed with their provenance", "[image]") {
  if (!img::have_images()) {
    return;
  }
  DiagnosticSink sink;
  auto image = open_disk_image({img::demo_image("gpt.raw")}, sink);
  REQUIRE(image.has_value());
  const auto found = image->installations(sink);
  REQUIRE(found.size() == 1);
  const auto arts = image->artifacts(found.front(), sink);
  INFO(dump(sink));
  CHECK_FALSE(has_error(sink));

  struct Want {
    ArtifactRole role;
    std::string ntfs_path;
    std::string source_file;
  };

  const std::string lsm =
      "Microsoft-Windows-TerminalServices-LocalSessionManager%4Operational.evtx";
  const std::vector<Want> want = {
      {ArtifactRole::kSystemHive,
       "/Windows/System32/config/SYSTEM",
       hive("demo_compromised/SYSTEM")},
      {ArtifactRole::kSystemLog,
       "/Windows/System32/config/SYSTEM.LOG1",
       hive("demo_compromised/SYSTEM.LOG1")},
      {ArtifactRole::kSystemLog,
       "/Windows/System32/config/SYSTEM.LOG2",
       hive("demo_compromised/SYSTEM.LOG2")},
      {ArtifactRole::kSoftwareHive,
       "/Windows/System32/config/SOFTWARE",
       hive("software_win10/SOFTWARE")},
      {ArtifactRole::kRegBackHive,
       "/Windows/System32/config/RegBack/SYSTEM",
       hive("system_clean_win10/SYSTEM")},
      {ArtifactRole::kEventLog, "/Windows/System32/winevt/Logs/" + lsm, log_file(lsm)},
      {ArtifactRole::kEventLog,
       "/Windows/System32/winevt/Logs/Security.evtx",
       log_file("Security.evtx")},
      {ArtifactRole::kEventLog,
       "/Windows/System32/winevt/Logs/System.evtx",
       log_file("System.evtx")},
  };
  REQUIRE(arts.size() == want.size());
  // Different fixture files hash differently, so the comparisons below can fail.
  REQUIRE(img::sha256_file(want[0].source_file) != img::sha256_file(want[4].source_file));
  std::vector<std::uint64_t> entries;
  for (std::size_t i = 0; i < want.size(); ++i) {
    INFO(want[i].ntfs_path);
    const auto& f = arts[i].file;
    CHECK(arts[i].role == want[i].role);
    CHECK(f.ntfs_path == want[i].ntfs_path);
    CHECK(f.image_path == img::demo_image("gpt.raw"));
    CHECK(f.partition_offset == kPartitionOffset);
    CHECK(f.mft_entry >= 64);  // first user entry in an NTFS volume made by mkntfs
    CHECK_FALSE(f.is_directory);
    entries.push_back(f.mft_entry);
    auto src = image->open(f);
    REQUIRE(src.has_value());
    CHECK(f.size == (*src)->size());
    CHECK((*src)->name() == f.source_name());
    CHECK(img::sha256_source(**src) == img::sha256_file(want[i].source_file));
  }
  std::sort(entries.begin(), entries.end());
  CHECK(std::adjacent_find(entries.begin(), entries.end()) == entries.end());
  CHECK(std::string(to_string(ArtifactRole::kEventLog)) == "event_log");
}

TEST_CASE("paths are looked up case-insensitively and keep the stored case", "[image]") {
  if (!img::have_images()) {
    return;
  }
  DiagnosticSink sink;
  auto image = open_disk_image({img::demo_image("mbr.vmdk")}, sink);
  REQUIRE(image.has_value());
  const auto found = image->installations(sink);
  REQUIRE(found.size() == 1);
  const Installation& inst = found.front();

  auto src = image->open(inst, "windows\\SYSTEM32\\Config\\system");
  REQUIRE(src.has_value());
  CHECK((*src)->name() == img::demo_image("mbr.vmdk") + "@1048576:/Windows/System32/config/SYSTEM");

  auto ref = image->find(inst, "/WINDOWS/system32/WINEVT/logs/security.EVTX");
  REQUIRE(ref.has_value());
  REQUIRE(ref->has_value());
  CHECK((*ref)->ntfs_path == "/Windows/System32/winevt/Logs/Security.evtx");
  CHECK((*ref)->file_name() == "Security.evtx");

  auto logs = image->list(inst, "windows/system32/winevt/LOGS");
  REQUIRE(logs.has_value());
  std::vector<std::string> names;
  for (const auto& f : *logs) {
    names.push_back(f.file_name());
  }
  CHECK(names == std::vector<std::string>{
                     "Microsoft-Windows-TerminalServices-LocalSessionManager%4Operational.evtx",
                     "Security.evtx",
                     "System.evtx"});

  auto root = image->list(inst, "/");
  REQUIRE(root.has_value());
  const auto has = [&](const std::string& n, bool dir) {
    return std::any_of(root->begin(), root->end(), [&](const auto& f) {
      return f.file_name() == n && f.is_directory == dir;
    });
  };
  CHECK(has("Windows", true));
  CHECK(has("Users", true));
  CHECK(has("pagefile.sys", false));
  CHECK_FALSE(has("$OrphanFiles", true));

  auto missing = image->find(inst, "Windows/System32/config/SAM");
  REQUIRE(missing.has_value());
  CHECK_FALSE(missing->has_value());
  auto under_file = image->find(inst, "Windows/System32/config/SYSTEM/x");
  REQUIRE(under_file.has_value());
  CHECK_FALSE(under_file->has_value());

  auto absent = image->open(inst, "Windows/System32/config/SAM");
  REQUIRE_FALSE(absent.has_value());
  CHECK(absent.error().code == ErrorCode::kNotFound);
  CHECK(absent.error().context ==
        img::demo_image("mbr.vmdk") + "@1048576:Windows/System32/config/SAM");
  auto dir = image->open(inst, "Windows/System32");
  REQUIRE_FALSE(dir.has_value());
  CHECK(dir.error().code == ErrorCode::kNotFound);
  auto no_dir = image->list(inst, "Windows/Temp");
  REQUIRE_FALSE(no_dir.has_value());
  CHECK(no_dir.error().code == ErrorCode::kNotFound);
}

TEST_CASE("segment sets and image detection", "[image]") {
  if (!img::have_images()) {
    return;
  }
  const auto split = find_segments(img::demo_image("split.raw.001"));
  REQUIRE(split.size() == 4);
  CHECK(split[3] == img::demo_image("split.raw.004"));
  const auto seg = find_segments(img::demo_image("seg.E01"));
  REQUIRE(seg.size() == 3);
  CHECK(seg[1] == img::demo_image("seg.E02"));
  CHECK(find_segments(img::demo_image("mbr.E01")).size() == 1);
  CHECK(find_segments(img::demo_image("mbr.raw")).size() == 1);
  CHECK(is_secondary_segment(img::demo_image("seg.E02")));
  CHECK(is_secondary_segment(img::demo_image("split.raw.003")));
  CHECK_FALSE(is_secondary_segment(img::demo_image("seg.E01")));
  CHECK_FALSE(is_secondary_segment(img::demo_image("split.raw.001")));
  CHECK_FALSE(is_secondary_segment(img::demo_image("mbr.raw")));

  for (const char* f : {"bare.raw",
                        "mbr.raw",
                        "gpt.raw",
                        "split.raw.001",
                        "mbr.E01",
                        "seg.E01",
                        "mbr.vmdk",
                        "mbr.vhd"}) {
    INFO(f);
    CHECK(looks_like_disk_image(img::demo_image(f)));
  }
  CHECK(looks_like_disk_image(img::bad_image("bitlocker.raw")));
  CHECK_FALSE(looks_like_disk_image(img::bad_image("random.bin")));
  CHECK_FALSE(looks_like_disk_image(hive("demo_compromised/SYSTEM")));
  CHECK_FALSE(looks_like_disk_image(log_file("Security.evtx")));
  CHECK_FALSE(looks_like_disk_image(img::images_dir() + "/no-such-file"));

  // Every segment given explicitly opens the same image.
  for (const auto& segments : {split, seg}) {
    DiagnosticSink sink;
    auto image = open_disk_image(segments, sink);
    REQUIRE(image.has_value());
    CHECK(image->segments() == segments);
    CHECK(image->installations(sink).size() == 1);
  }
}

TEST_CASE("partition offsets and file contents agree with mmls and icat", "[image]") {
  if (!img::have_images()) {
    return;
  }
  if (!img::have_tool("mmls") || !img::have_tool("icat")) {
    WARN("sleuthkit CLI tools missing: cross-check skipped");
    return;
  }
  for (const char* f : {"mbr.raw", "gpt.raw", "mbr.vhd"}) {
    INFO(f);
    const std::string path = img::demo_image(f);
    DiagnosticSink sink;
    auto image = open_disk_image({path}, sink);
    REQUIRE(image.has_value());
    const auto found = image->installations(sink);
    REQUIRE(found.size() == 1);
    // mmls: "002:  000:000   0000002048   0000034815   0000032768   NTFS / exFAT (0x07)"
    const std::string table = img::run("mmls '" + path + "'");
    const auto at = table.find(found.front().description);
    REQUIRE(at != std::string::npos);
    const auto line_start = table.rfind('\n', at) + 1;
    std::istringstream line(table.substr(line_start, at - line_start));
    std::string slot;
    std::string kind;
    std::uint64_t start = 0;
    line >> slot >> kind >> start;
    CHECK(start * 512 == found.front().offset);

    const auto& sys = found.front().system_hive;
    const std::string icat = "icat -o " + std::to_string(found.front().offset / 512) + " '" + path +
                             "' " + std::to_string(sys.mft_entry) + " | sha256sum";
    auto src = image->open(sys);
    REQUIRE(src.has_value());
    CHECK(img::run(icat).substr(0, 64) == img::sha256_source(**src));
  }
}

TEST_CASE("a source reads concurrently and keeps the image alive", "[image]") {
  if (!img::have_images()) {
    return;
  }
  const std::string file = img::demo_image("mbr.vmdk");
  std::unique_ptr<smssaudit::ByteSource> src;
  {
    DiagnosticSink sink;
    auto image = open_disk_image({file}, sink);
    REQUIRE(image.has_value());
    const auto found = image->installations(sink);
    REQUIRE(found.size() == 1);
    auto s = image->open(found.front(), "pagefile.sys");
    REQUIRE(s.has_value());
    src = std::move(*s);
  }  // the DiskImage is gone; the source still holds the TSK handles
  REQUIRE(src->size() == 6U * 1048576U);
  std::vector<std::uint8_t> whole(src->size());
  auto n = src->read_at(0, whole);
  REQUIRE(n.has_value());
  REQUIRE(*n == whole.size());

  std::vector<int> mismatches(2, 0);
  auto worker = [&](int id) {
    std::mt19937_64 rng(static_cast<std::uint64_t>(id) + 7);
    std::vector<std::uint8_t> buf(65536);
    for (int k = 0; k < 200; ++k) {
      const std::uint64_t off = rng() % (whole.size() - buf.size());
      auto got = src->read_at(off, buf);
      if (!got || *got != buf.size() ||
          !std::equal(buf.begin(), buf.end(), whole.begin() + static_cast<std::ptrdiff_t>(off))) {
        ++mismatches[static_cast<std::size_t>(id)];
      }
    }
  };
  std::thread a(worker, 0);
  std::thread b(worker, 1);
  a.join();
  b.join();
  CHECK(mismatches[0] == 0);
  CHECK(mismatches[1] == 0);

  std::vector<std::uint8_t> tail(100);
  auto last = src->read_at(src->size() - 10, tail);
  REQUIRE(last.has_value());
  CHECK(*last == 10);
  auto past = src->read_at(src->size() + 5, tail);
  REQUIRE(past.has_value());
  CHECK(*past == 0);
}

TEST_CASE("images are opened read-only: hash and mtime unchanged after reading", "[image]") {
  if (!img::have_images()) {
    return;
  }
  for (const char* f : {"mbr.raw", "mbr.vmdk", "mbr.vhd"}) {
    INFO(f);
    const std::string path = img::demo_image(f);
    const std::string before = img::sha256_file(path);
    const long long mtime = img::mtime_ns(path);
    {
      DiagnosticSink sink;
      auto image = open_disk_image({path}, sink);
      REQUIRE(image.has_value());
      for (const auto& inst : image->installations(sink)) {
        for (const auto& a : image->artifacts(inst, sink)) {
          auto src = image->open(a.file);
          REQUIRE(src.has_value());
          CHECK_FALSE(img::sha256_source(**src).empty());
        }
      }
    }
    CHECK(img::sha256_file(path) == before);
    CHECK(img::mtime_ns(path) == mtime);
  }
}

// Not part of the suite (hidden tag): prints the speed of reading a 6 MiB file through TSK.
TEST_CASE("read speed through TSK", "[.][image-speed]") {
  if (!img::have_images()) {
    return;
  }
  for (const char* f : {"mbr.raw", "split.raw.001", "mbr.vmdk", "mbr.vhd"}) {
    DiagnosticSink sink;
    auto image = open_disk_image({img::demo_image(f)}, sink);
    REQUIRE(image.has_value());
    const auto found = image->installations(sink);
    REQUIRE(found.size() == 1);
    auto src = image->open(found.front(), "pagefile.sys");
    REQUIRE(src.has_value());
    const auto t0 = std::chrono::steady_clock::now();
    constexpr int kRounds = 5;
    for (int r = 0; r < kRounds; ++r) {
      CHECK_FALSE(img::sha256_source(**src).empty());
    }
    const std::chrono::duration<double> dt = std::chrono::steady_clock::now() - t0;
    const double mb = static_cast<double>((*src)->size()) * kRounds / 1048576.0;
    WARN(f << ": " << mb / dt.count() << " MiB/s (" << mb << " MiB in " << dt.count() << " s)");
  }
}

TEST_CASE("a GPT disk with an ESP, an MSR and two Windows volumes gives two installations",
          "[image]") {
  if (!img::have_images()) {
    return;
  }
  const std::string path = img::demo_image("two_windows_gpt.raw");
  DiagnosticSink sink;
  auto image = open_disk_image({path}, sink);
  REQUIRE(image.has_value());
  const auto found = image->installations(sink);
  INFO(dump(sink));
  CHECK_FALSE(has_error(sink));
  REQUIRE(found.size() == 2);
  CHECK(found[0].partition_number == 3);
  CHECK(found[0].offset == 3U * 1048576U);
  CHECK(found[0].description == "Basic data partition");
  CHECK(found[1].partition_number == 4);
  CHECK(found[1].offset == 19U * 1048576U);
  CHECK(found[1].description == "Second Windows");
  // The empty ESP and MSR are mentioned at info level only.
  const auto infos = std::count_if(sink.items().begin(), sink.items().end(), [](const auto& d) {
    return d.code == "image.volume_unreadable" && d.level == DiagLevel::kInfo;
  });
  CHECK(infos == 2);

  // Each installation reads its own volume; a file of one image cannot be opened through another.
  auto second = image->open(found[1], "Windows/System32/config/SYSTEM");
  REQUIRE(second.has_value());
  CHECK((*second)->name() == path + "@19922944:/Windows/System32/config/SYSTEM");
  CHECK(img::sha256_source(**second) == img::sha256_file(hive("demo_compromised/SYSTEM")));

  DiagnosticSink other_sink;
  auto other = open_disk_image({img::demo_image("mbr.raw")}, other_sink);
  REQUIRE(other.has_value());
  auto foreign = other->open(found[0].system_hive);
  REQUIRE_FALSE(foreign.has_value());
  CHECK(foreign.error().code == ErrorCode::kNotFound);
}
