// Unit tests for core/text: case folding, UTF-16 decoding, MULTI_SZ splitting, path normalisation.
#include "smssaudit/core/text.hpp"

#include "support/catch.hpp"

#include <cstdint>
#include <vector>

using namespace smssaudit;

namespace {

// Encodes ASCII (with embedded NULs) as UTF-16LE bytes.
std::vector<std::uint8_t> u16(std::string_view s) {
  std::vector<std::uint8_t> out;
  for (char c : s) {
    out.push_back(static_cast<std::uint8_t>(c));
    out.push_back(0);
  }
  return out;
}

}  // namespace

TEST_CASE("Case-insensitive comparisons fold ASCII only", "[core]") {
  CHECK(text::iequals("SETUPEXECUTE", "SetupExecute"));
  CHECK_FALSE(text::iequals("BootExecute", "BootExecute2"));
  CHECK(text::istarts_with("ControlSet001", "controlset"));
  CHECK(text::iends_with("\\SystemRoot\\System32\\Config\\SYSTEM", "system"));
  CHECK_FALSE(text::iends_with("EM", "SYSTEM"));
  CHECK(text::icontains("autocheck AUTOCHK *", "autochk"));
  CHECK(text::to_lower("KnownDLLs\xC3\x89") == "knowndlls\xC3\x89");
}

TEST_CASE("Trim, split and join behave like their Python namesakes", "[core]") {
  CHECK(text::trim("  \tabc \r\n") == "abc");
  CHECK(text::split("a,,b", ',') == std::vector<std::string>{"a", "", "b"});
  CHECK(text::split("", ',') == std::vector<std::string>{""});
  CHECK(text::join({"a", "b", "c"}, " | ") == "a | b | c");
}

TEST_CASE("UTF-16LE decoding stops at NUL only when asked and repairs bad surrogates", "[core]") {
  const auto bytes = u16(std::string("ab\0cd", 5));
  CHECK(text::utf16le_to_utf8(bytes, true) == "ab");
  CHECK(text::utf16le_to_utf8(bytes, false) == std::string("ab\0cd", 5));
  // U+00E9 and U+1F600 (surrogate pair D83D DE00).
  const std::vector<std::uint8_t> emoji = {0xE9, 0x00, 0x3D, 0xD8, 0x00, 0xDE};
  CHECK(text::utf16le_to_utf8(emoji, true) == "\xC3\xA9\xF0\x9F\x98\x80");
  // A lone high surrogate followed by 'A', then an odd trailing byte that must be ignored.
  const std::vector<std::uint8_t> broken = {0x00, 0xD8, 0x41, 0x00, 0x42};
  CHECK(text::utf16le_to_utf8(broken, true) ==
        "\xEF\xBF\xBD"
        "A");
}

TEST_CASE("MULTI_SZ splitting keeps inner empty strings and drops the terminator", "[core]") {
  CHECK(text::utf16le_multi_to_utf8(u16(std::string("autocheck autochk *\0\0", 21))) ==
        std::vector<std::string>{"autocheck autochk *"});
  CHECK(text::utf16le_multi_to_utf8(u16(std::string("\0", 1))).empty());
  CHECK(text::utf16le_multi_to_utf8({}).empty());
  CHECK(text::utf16le_multi_to_utf8(u16(std::string("a\0\0b\0\0", 6))) ==
        std::vector<std::string>{"a", "", "b"});
  CHECK(text::utf16le_multi_to_utf8(u16("no-terminator")) ==
        std::vector<std::string>{"no-terminator"});
}

TEST_CASE("UTF-16 text detection accepts strings and rejects numbers and noise", "[core]") {
  CHECK(text::looks_like_utf16le_text(u16(std::string("autocheck autochk *\0\0", 21))));
  CHECK(text::looks_like_utf16le_text(u16("C:\\evil.exe")));
  CHECK_FALSE(text::looks_like_utf16le_text(std::vector<std::uint8_t>{1, 0, 0, 0}));
  CHECK_FALSE(text::looks_like_utf16le_text(std::vector<std::uint8_t>{0x41, 0x00, 0x42}));
  CHECK_FALSE(text::looks_like_utf16le_text(
      std::vector<std::uint8_t>{0x12, 0x9A, 0xFE, 0x33, 0x01, 0x02, 0xC4, 0x88, 0x77, 0x10}));
}

TEST_CASE("Windows paths normalise prefixes, slashes, case and SystemRoot", "[core]") {
  CHECK(text::normalize_windows_path("\\??\\C:\\Temp\\X.EXE") == "c:\\temp\\x.exe");
  CHECK(text::normalize_windows_path("\\\\?\\C:/Temp//x") == "c:\\temp\\x");
  CHECK(text::normalize_windows_path("%SystemRoot%\\system32\\csrss.exe") ==
        "c:\\windows\\system32\\csrss.exe");
  CHECK(text::normalize_windows_path("%windir%\\x") == "c:\\windows\\x");
  CHECK(text::normalize_windows_path("\\SystemRoot\\System32\\smss.exe") ==
        "c:\\windows\\system32\\smss.exe");
  CHECK(text::normalize_windows_path("%SystemRoot%\\x", "D:\\WINNT\\") == "d:\\winnt\\x");
  // Only a leading "\SystemRoot" is the kernel link; elsewhere it is an ordinary name.
  CHECK(text::normalize_windows_path("c:\\SystemRootX\\y") == "c:\\systemrootx\\y");
}

TEST_CASE("Printable escapes control bytes and keeps valid UTF-8", "[core]") {
  CHECK(text::printable("a\x01z") == "a\\x01z");
  CHECK(text::printable("caf\xC3\xA9") == "caf\xC3\xA9");
  CHECK(text::printable("bad\xFF") == "bad\\xff");
  CHECK(text::printable("C:\\x") == "C:\\x");
}
