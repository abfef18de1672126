// SHA-256 of a ByteSource (see source_sha256.hpp). OpenSSL EVP, as evidence::describe_file uses.
#include "readers/evtx_native/source_sha256.hpp"

#include <array>
#include <utility>
#include <vector>

namespace smssaudit::readers::evtx_native {
namespace {

// 1 MiB blocks, as describe_file streams: large enough that the per-call cost vanishes, small
// enough to stay in L2 while SHA-256 reads it.
constexpr std::size_t kBlockSize = std::size_t{1} << 20U;

std::string to_hex(const unsigned char* digest, unsigned size) {
  static constexpr std::array<char, 16> kHex = {
      '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'};
  std::string out;
  out.reserve(std::size_t{size} * 2);
  for (unsigned i = 0; i < size; ++i) {
    out.push_back(kHex.at(digest[i] >> 4U));
    out.push_back(kHex.at(digest[i] & 0x0FU));
  }
  return out;
}

}  // namespace

Sha256Stream::Sha256Stream() : ctx_(EVP_MD_CTX_new()) {
  ok_ = ctx_ && EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) == 1;
}

void Sha256Stream::update(std::span<const std::uint8_t> bytes) {
  if (ok_ && !bytes.empty()) {
    ok_ = EVP_DigestUpdate(ctx_.get(), bytes.data(), bytes.size()) == 1;
  }
  size_ += bytes.size();
}

Result<SourceDigest> Sha256Stream::finish(const std::string& name) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned len = 0;
  if (!ok_ || EVP_DigestFinal_ex(ctx_.get(), digest.data(), &len) != 1) {
    ok_ = false;
    return fail(ErrorCode::kIo, name, "SHA-256 failed (OpenSSL)");
  }
  ok_ = false;  // a finished context takes no more input
  return SourceDigest{size_, to_hex(digest.data(), len)};
}

Result<SourceDigest> hash_rest(const ByteSource& source, Sha256Stream stream) {
  std::vector<std::uint8_t> block(kBlockSize);
  for (;;) {
    auto n = source.read_at(stream.size(), block);
    if (!n) {
      return fail(std::move(n).error());
    }
    if (*n == 0) {
      break;
    }
    stream.update(std::span<const std::uint8_t>(block).first(*n));
  }
  return stream.finish(source.name());
}

Result<SourceDigest> sha256_of(const ByteSource& source) {
  return hash_rest(source, Sha256Stream());
}

BackgroundHash::BackgroundHash(const ByteSource& source, Sha256Stream start)
    : thread_([this, &source, s = std::move(start)]() mutable {
        result_.emplace(hash_rest(source, std::move(s)));
      }) {}

const Result<SourceDigest>& BackgroundHash::result() {
  if (thread_.joinable()) {
    thread_.join();
  }
  return *result_;
}

}  // namespace smssaudit::readers::evtx_native
