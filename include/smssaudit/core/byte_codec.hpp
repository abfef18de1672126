// A small little-endian binary codec for messages between smssaudit and its helper processes (the
// disk-image service, isolated parsers). The reader treats its input as untrusted: every length is
// checked against the bytes that remain, nothing is allocated from a length that was not checked,
// and the first failure sticks (it is remembered with its offset, and later reads return zero
// values), so a decoder reads its fields straight through and asks ok() once at the end.
#pragma once

#include "smssaudit/core/diagnostics.hpp"
#include "smssaudit/core/error.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace smssaudit::codec {

class ByteWriter {
 public:
  void u8(std::uint8_t v) { out_.push_back(v); }

  void u16(std::uint16_t v) { put(v, 2); }

  void u32(std::uint32_t v) { put(v, 4); }

  void u64(std::uint64_t v) { put(v, 8); }

  void boolean(bool v) { u8(v ? 1 : 0); }

  /// An element count (u32).
  void count(std::size_t n) { u32(static_cast<std::uint32_t>(n)); }

  /// u32 length, then the bytes.
  void str(std::string_view s);
  void bytes(std::span<const std::uint8_t> b);

  template <typename E>
  void enumeration(E e) {
    u32(static_cast<std::uint32_t>(e));
  }

  [[nodiscard]] std::vector<std::uint8_t>& buffer() noexcept { return out_; }

  [[nodiscard]] std::vector<std::uint8_t> take() noexcept { return std::move(out_); }

 private:
  void put(std::uint64_t v, int width);
  std::vector<std::uint8_t> out_;
};

class ByteReader {
 public:
  explicit ByteReader(std::span<const std::uint8_t> in) noexcept : in_(in) {}

  std::uint8_t u8() { return static_cast<std::uint8_t>(get(1, "u8")); }

  std::uint16_t u16() { return static_cast<std::uint16_t>(get(2, "u16")); }

  std::uint32_t u32() { return static_cast<std::uint32_t>(get(4, "u32")); }

  std::uint64_t u64() { return get(8, "u64"); }

  /// 0 or 1; anything else fails the reader.
  bool boolean();
  /// A string's bytes, viewed in place (valid while the input is); empty after a failure.
  std::string_view view();

  std::string str() { return std::string(view()); }

  std::vector<std::uint8_t> bytes();
  /// A u32 element count for a list whose elements take at least `min_element_bytes` each (1 by
  /// default): a count the remaining input cannot hold fails the reader and returns 0, so a
  /// hostile count never reserves memory.
  std::uint32_t count(std::size_t min_element_bytes = 1);

  /// An enumerator in [0, last]; anything else fails the reader (a cast-in value could index
  /// tables).
  template <typename E>
  E enumeration(E last, const char* what) {
    const std::uint32_t v = u32();
    if (ok() && v > static_cast<std::uint32_t>(last)) {
      fail(std::string("invalid ") + what + " " + std::to_string(v));
      return E{};
    }
    return static_cast<E>(v);
  }

  /// Fails the reader with `what` (the first failure is kept, with its offset).
  void fail(const std::string& what);

  [[nodiscard]] bool ok() const noexcept { return problem_.empty(); }

  /// "truncated u32 at offset 12", "" while ok().
  [[nodiscard]] const std::string& problem() const noexcept { return problem_; }

  [[nodiscard]] std::size_t offset() const noexcept { return pos_; }

  [[nodiscard]] std::size_t remaining() const noexcept { return ok() ? in_.size() - pos_ : 0; }

  /// ok() and every byte consumed.
  [[nodiscard]] bool done() const noexcept { return ok() && pos_ == in_.size(); }

 private:
  std::uint64_t get(std::size_t width, const char* what);
  std::span<const std::uint8_t> take(std::size_t n, const char* what);
  std::span<const std::uint8_t> in_;
  std::size_t pos_ = 0;
  std::string problem_;
};

/// Error and Diagnostic, the two core types every helper-process message carries.
void put_error(ByteWriter& w, const Error& e);
Error get_error(ByteReader& r);
void put_diagnostic(ByteWriter& w, const Diagnostic& d);
Diagnostic get_diagnostic(ByteReader& r);

}  // namespace smssaudit::codec
