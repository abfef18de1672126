// Disk images that cannot be read, or only in part: each gives a diagnostic naming the image and
// the reason, and whatever else is readable is still found (scripts/mkimage writes them).
#include "smssaudit/readers/image.hpp"
#include "unit/readers/image_support.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

namespace {

using smssaudit::DiagLevel;
using smssaudit::Diagnostic;
using smssaudit::DiagnosticSink;
using smssaudit::ErrorCode;
using smssaudit::readers::image::open_disk_image;
namespace img = smssaudit::testing::image;

std::string dump(const DiagnosticSink& sink) {
  std::ostringstream os;
  for (const auto& d : sink.items()) {
    os << smssaudit::to_string(d.level) << " " << d.code << " " << d.source << " [" << d.location
       << "] " << d.message << "\n";
  }
  return os.str();
}

/// The one diagnostic with `code`; fails the test when there is none or more than one.
Diagnostic only(const DiagnosticSink& sink, const std::string& code) {
  std::vector<Diagnostic> hits;
  std::copy_if(
      sink.items().begin(), sink.items().end(), std::back_inserter(hits), [&](const auto& d) {
        return d.code == code;
      });
  INFO(dump(sink));
  REQUIRE(hits.size() == 1);
  return hits.front();
}

std::size_t errors(const DiagnosticSink& sink) {
  return static_cast<std::size_t>(
      std::count_if(sink.items().begin(), sink.items().end(), [](const auto& d) {
        return d.level == DiagLevel::kError;
      }));
}

}  // namespace

TEST_CASE("a BitLocker volume is reported and the Windows volume beside it still found",
          "[image]") {
  if (!img::have_images()) {
    return;
  }
  const std::string path = img::bad_image("bitlocker.raw");
  DiagnosticSink sink;
  auto image = open_disk_image({path}, sink);
  REQUIRE(image.has_value());
  const auto found = image->installations(sink);
  REQUIRE(found.size() == 1);
  CHECK(found.front().offset == 17U * 1048576U);
  CHECK(found.front().partition_number == 2);
  const Diagnostic d = only(sink, "image.bitlocker");
  CHECK(d.level == DiagLevel::kError);
  CHECK(d.source == path);
  CHECK(d.message ==
        "BitLocker-encrypted volume at offset 1048576: cannot be read without the key");
  CHECK(errors(sink) == 1);
}

TEST_CASE("a GPT with a bad header CRC is reported and still read", "[image]") {
  if (!img::have_images()) {
    return;
  }
  const std::string path = img::bad_image("gpt_badcrc.raw");
  DiagnosticSink sink;
  auto image = open_disk_image({path}, sink);
  REQUIRE(image.has_value());
  const auto found = image->installations(sink);
  REQUIRE(found.size() == 1);
  CHECK(found.front().offset == 1048576U);
  const Diagnostic d = only(sink, "image.partition_table_damaged");
  CHECK(d.level == DiagLevel::kWarning);
  CHECK(d.source == path);
  CHECK(d.message.find("GPT header CRC mismatch") != std::string::npos);

  // The intact GPT gives no such warning: the check is not a false alarm.
  DiagnosticSink clean;
  auto good = open_disk_image({img::demo_image("gpt.raw")}, clean);
  REQUIRE(good.has_value());
  CHECK(good->installations(clean).size() == 1);
  CHECK(clean.items().empty());
}

TEST_CASE("a partition past the end of the image is reported, the others read", "[image]") {
  if (!img::have_images()) {
    return;
  }
  const std::string path = img::bad_image("past_end.raw");
  DiagnosticSink sink;
  auto image = open_disk_image({path}, sink);
  REQUIRE(image.has_value());
  const auto found = image->installations(sink);
  REQUIRE(found.size() == 1);
  CHECK(found.front().offset == 1048576U);
  const Diagnostic d = only(sink, "image.partition_past_end");
  CHECK(d.level == DiagLevel::kWarning);
  CHECK(d.source == path);
  CHECK(d.location == "partition 2");
  CHECK(d.message.find("extends past the end of the image (18874368 bytes)") != std::string::npos);
}

TEST_CASE("an NTFS volume without Windows gives image.no_windows", "[image]") {
  if (!img::have_images()) {
    return;
  }
  const std::string path = img::bad_image("nowindows.raw");
  DiagnosticSink sink;
  auto image = open_disk_image({path}, sink);
  REQUIRE(image.has_value());
  CHECK(image->installations(sink).empty());
  const Diagnostic d = only(sink, "image.no_windows");
  CHECK(d.level == DiagLevel::kError);
  CHECK(d.source == path);
  CHECK(d.message == "no NTFS volume with Windows\\System32\\config\\SYSTEM");
  CHECK(only(sink, "image.volume_without_windows").level == DiagLevel::kInfo);
}

TEST_CASE("random bytes are no disk image", "[image]") {
  if (!img::have_images()) {
    return;
  }
  const std::string path = img::bad_image("random.bin");
  DiagnosticSink sink;
  auto image = open_disk_image({path}, sink);  // TSK takes any file as raw
  REQUIRE(image.has_value());
  CHECK(image->installations(sink).empty());
  const Diagnostic d = only(sink, "image.unrecognised");
  CHECK(d.level == DiagLevel::kError);
  CHECK(d.source == path);
  CHECK(errors(sink) == 1);
}

TEST_CASE("a missing image or segment is an error naming it", "[image]") {
  const std::string path = img::images_dir() + "/no-such-image.E01";
  DiagnosticSink sink;
  auto image = open_disk_image({path}, sink);
  REQUIRE_FALSE(image.has_value());
  CHECK(image.error().code == ErrorCode::kNotFound);
  CHECK(image.error().context == path);
  CHECK(only(sink, "image.open_failed").source == path);

  if (!img::have_images()) {
    return;
  }
  DiagnosticSink sink2;
  auto partial = open_disk_image(
      {img::demo_image("seg.E01"), img::demo_image("seg.E02"), img::demo_image("seg.E09")}, sink2);
  REQUIRE_FALSE(partial.has_value());
  CHECK(partial.error().context == img::demo_image("seg.E01"));
  CHECK(partial.error().detail.find("seg.E09") != std::string::npos);  // missing segment first
}

TEST_CASE("a truncated raw image: what is there reads, the cut file fails naming itself",
          "[image]") {
  if (!img::have_images()) {
    return;
  }
  const std::string path = img::bad_image("truncated.raw");
  std::uint64_t cut = 0;
  std::ifstream(path + ".cut") >> cut;
  REQUIRE(cut > 1048576U);
  DiagnosticSink sink;
  auto image = open_disk_image({path}, sink);
  REQUIRE(image.has_value());
  CHECK(image->size() == cut);
  const auto found = image->installations(sink);
  INFO(dump(sink));
  REQUIRE(found.size() == 1);

  auto sys = image->open(found.front(), "Windows/System32/config/SYSTEM");
  REQUIRE(sys.has_value());
  CHECK(img::sha256_source(**sys) ==
        img::sha256_file(smssaudit::testing::fixture_dir("demo_compromised/SYSTEM")));

  auto page = image->open(found.front(), "pagefile.sys");
  REQUIRE(page.has_value());
  std::vector<std::uint8_t> head(4096);
  auto first = (*page)->read_at(0, head);  // before the cut
  REQUIRE(first.has_value());
  CHECK(*first == head.size());
  std::string error;
  CHECK(img::sha256_source(**page, &error).empty());
  CHECK(error.rfind(path + "@1048576:/pagefile.sys: cannot read", 0) == 0);
}

TEST_CASE("a truncated E01 is reported as unrecognised, naming the image", "[image]") {
  if (!img::have_images()) {
    return;
  }
  // mbr.E01 cut in half: libewf opens it (the missing chunks read as zeros), so no partition
  // table or file system is found.
  const std::string path = img::bad_image("truncated.E01");
  DiagnosticSink sink;
  auto image = open_disk_image({path}, sink);
  REQUIRE(image.has_value());
  CHECK(image->format() == "ewf");
  CHECK(image->installations(sink).empty());
  const Diagnostic d = only(sink, "image.unrecognised");
  CHECK(d.source == path);
  CHECK(d.level == DiagLevel::kError);
}
