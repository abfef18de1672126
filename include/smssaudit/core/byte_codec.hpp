// A small little-endian binary codec for messages between smssaudit and its helper processes (the
// disk-image service, isolated parsers). The reader treats its input as untrusted: every length is
// checked against the bytes that remain, nothing is allocated from a length that was not checked,
// and the first failure sticks (later reads return zero values), so a decoder reads its fields
// straight through and asks ok() once at the end.
#pragma once

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

  /// u32 length, then the bytes.
  void str(std::string_view s);
  void bytes(std::span<const std::uint8_t> b);

  [[nodiscard]] std::vector<std::uint8_t>& buffer() noexcept { return out_; }

  [[nodiscard]] std::vector<std::uint8_t> take() noexcept { return std::move(out_); }

 private:
  void put(std::uint64_t v, int width);
  std::vector<std::uint8_t> out_;
};

class ByteReader {
 public:
  explicit ByteReader(std::span<const std::uint8_t> in) noexcept : in_(in) {}

  std::uint8_t u8() noexcept { return static_cast<std::uint8_t>(get(1)); }

  std::uint16_t u16() noexcept { return static_cast<std::uint16_t>(get(2)); }

  std::uint32_t u32() noexcept { return static_cast<std::uint32_t>(get(4)); }

  std::uint64_t u64() noexcept { return get(8); }

  /// 0 or 1; anything else fails the reader.
  bool boolean() noexcept;
  std::string str();
  std::vector<std::uint8_t> bytes();
  /// A u32 element count for a list whose elements take at least `min_element_bytes` each: fails
  /// (and returns 0) when the remaining input cannot hold that many, so a hostile count never
  /// reserves memory.
  std::uint32_t count(std::size_t min_element_bytes) noexcept;

  /// Fails the reader (e.g. an enum value out of range).
  void fail() noexcept { ok_ = false; }

  [[nodiscard]] bool ok() const noexcept { return ok_; }

  [[nodiscard]] std::size_t remaining() const noexcept { return ok_ ? in_.size() - pos_ : 0; }

  /// ok() and every byte consumed.
  [[nodiscard]] bool done() const noexcept { return ok_ && pos_ == in_.size(); }

 private:
  std::uint64_t get(std::size_t width) noexcept;
  std::span<const std::uint8_t> take(std::size_t n) noexcept;
  std::span<const std::uint8_t> in_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace smssaudit::codec
