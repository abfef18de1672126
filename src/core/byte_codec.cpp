#include "smssaudit/core/byte_codec.hpp"

namespace smssaudit::codec {

void ByteWriter::put(std::uint64_t v, int width) {
  for (int i = 0; i < width; ++i) {
    out_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  }
}

void ByteWriter::str(std::string_view s) {
  u32(static_cast<std::uint32_t>(s.size()));
  out_.insert(out_.end(), s.begin(), s.end());
}

void ByteWriter::bytes(std::span<const std::uint8_t> b) {
  u32(static_cast<std::uint32_t>(b.size()));
  out_.insert(out_.end(), b.begin(), b.end());
}

std::span<const std::uint8_t> ByteReader::take(std::size_t n) noexcept {
  if (!ok_ || in_.size() - pos_ < n) {
    ok_ = false;
    return {};
  }
  const auto s = in_.subspan(pos_, n);
  pos_ += n;
  return s;
}

std::uint64_t ByteReader::get(std::size_t width) noexcept {
  const auto b = take(width);
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < b.size(); ++i) {
    v |= static_cast<std::uint64_t>(b[i]) << (8 * i);
  }
  return v;
}

bool ByteReader::boolean() noexcept {
  const auto v = u8();
  if (v > 1) {
    ok_ = false;
  }
  return v == 1;
}

std::string ByteReader::str() {
  const auto n = u32();
  const auto b = take(n);
  return {b.begin(), b.end()};
}

std::vector<std::uint8_t> ByteReader::bytes() {
  const auto n = u32();
  const auto b = take(n);
  return {b.begin(), b.end()};
}

std::uint32_t ByteReader::count(std::size_t min_element_bytes) noexcept {
  const auto n = u32();
  if (min_element_bytes > 0 && n > remaining() / min_element_bytes) {
    ok_ = false;
    return 0;
  }
  return n;
}

}  // namespace smssaudit::codec
