#include "smssaudit/core/byte_codec.hpp"

namespace smssaudit::codec {

void ByteWriter::put(std::uint64_t v, int width) {
  for (int i = 0; i < width; ++i) {
    out_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  }
}

void ByteWriter::str(std::string_view s) {
  count(s.size());
  out_.insert(out_.end(), s.begin(), s.end());
}

void ByteWriter::bytes(std::span<const std::uint8_t> b) {
  count(b.size());
  out_.insert(out_.end(), b.begin(), b.end());
}

void ByteReader::fail(const std::string& what) {
  if (problem_.empty()) {
    problem_ = what + " at offset " + std::to_string(pos_);
  }
}

std::span<const std::uint8_t> ByteReader::take(std::size_t n, const char* what) {
  if (!ok()) {
    return {};
  }
  if (in_.size() - pos_ < n) {
    fail(std::string("truncated ") + what);
    return {};
  }
  const auto s = in_.subspan(pos_, n);
  pos_ += n;
  return s;
}

std::uint64_t ByteReader::get(std::size_t width, const char* what) {
  const auto b = take(width, what);
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < b.size(); ++i) {
    v |= static_cast<std::uint64_t>(b[i]) << (8 * i);
  }
  return v;
}

bool ByteReader::boolean() {
  const auto v = u8();
  if (v > 1) {
    fail("flag byte " + std::to_string(v) + " is neither 0 nor 1");
  }
  return v == 1;
}

std::string_view ByteReader::view() {
  const auto n = count();
  const auto b = take(n, "string");
  return {reinterpret_cast<const char*>(b.data()), b.size()};  // NOLINT: bytes viewed as chars
}

std::vector<std::uint8_t> ByteReader::bytes() {
  const auto n = count();
  const auto b = take(n, "bytes");
  return {b.begin(), b.end()};
}

std::uint32_t ByteReader::count(std::size_t min_element_bytes) {
  const auto n = u32();
  const std::size_t left = remaining();
  if (ok() && min_element_bytes > 0 && n > left / min_element_bytes) {
    fail("count " + std::to_string(n) + " exceeds the " + std::to_string(left) + " bytes left");
    return 0;
  }
  return n;
}

void put_error(ByteWriter& w, const Error& e) {
  w.enumeration(e.code);
  w.str(e.context);
  w.str(e.detail);
}

Error get_error(ByteReader& r) {
  Error e;
  e.code = r.enumeration(ErrorCode::kParserCrashed, "error code");
  e.context = r.str();
  e.detail = r.str();
  return e;
}

void put_diagnostic(ByteWriter& w, const Diagnostic& d) {
  w.enumeration(d.level);
  w.str(d.code);
  w.str(d.source);
  w.str(d.location);
  w.str(d.message);
}

Diagnostic get_diagnostic(ByteReader& r) {
  Diagnostic d;
  d.level = r.enumeration(DiagLevel::kError, "diagnostic level");
  d.code = r.str();
  d.source = r.str();
  d.location = r.str();
  d.message = r.str();
  return d;
}

}  // namespace smssaudit::codec
