// SHA-256 of a ByteSource (see source_sha256.hpp). OpenSSL EVP, as evidence::describe_file uses.
#include "readers/evtx_native/source_sha256.hpp"

#include <openssl/evp.h>

#include <array>
#include <memory>
#include <vector>

namespace smssaudit::readers::evtx_native {
namespace {

// 1 MiB blocks, as describe_file streams: large enough that the per-call cost vanishes, small
// enough to stay in L2 while SHA-256 reads it.
constexpr std::size_t kBlockSize = std::size_t{1} << 20U;

struct EvpCtxFree {
  void operator()(EVP_MD_CTX* ctx) const noexcept { EVP_MD_CTX_free(ctx); }
};

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

Result<SourceDigest> sha256_of(const ByteSource& source) {
  const std::unique_ptr<EVP_MD_CTX, EvpCtxFree> ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) {
    return fail(ErrorCode::kIo, source.name(), "cannot initialise SHA-256");
  }
  std::vector<std::uint8_t> block(kBlockSize);
  SourceDigest out;
  for (;;) {
    auto n = source.read_at(out.size, block);
    if (!n) {
      return fail(std::move(n).error());
    }
    if (*n == 0) {
      break;
    }
    if (EVP_DigestUpdate(ctx.get(), block.data(), *n) != 1) {
      return fail(ErrorCode::kIo, source.name(), "SHA-256 update failed");
    }
    out.size += *n;
  }
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned len = 0;
  if (EVP_DigestFinal_ex(ctx.get(), digest.data(), &len) != 1) {
    return fail(ErrorCode::kIo, source.name(), "SHA-256 final failed");
  }
  out.sha256 = to_hex(digest.data(), len);
  return out;
}

BackgroundHash::BackgroundHash(const ByteSource& source)
    : thread_([this, &source] { result_.emplace(sha256_of(source)); }) {}

const Result<SourceDigest>& BackgroundHash::result() {
  if (thread_.joinable()) {
    thread_.join();
  }
  return *result_;
}

}  // namespace smssaudit::readers::evtx_native
