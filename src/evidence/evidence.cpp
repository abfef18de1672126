// Evidence description: size and SHA-256 of an input, read strictly read-only.
#include "smssaudit/evidence/evidence.hpp"

#include "smssaudit/evidence/file_source.hpp"

#include <openssl/evp.h>

#include <array>
#include <memory>
#include <utility>
#include <vector>

namespace smssaudit::evidence {
namespace {

constexpr std::size_t kBlockSize = 1U << 20;  // stream in 1 MiB blocks: hives reach 100+ MiB

// OpenSSL 3 contexts are freed with EVP_MD_CTX_free; a functor keeps unique_ptr zero-size.
struct EvpCtxFree {
  void operator()(EVP_MD_CTX* ctx) const noexcept { EVP_MD_CTX_free(ctx); }
};

// Lower-case hex, as sha256sum prints it and as MANIFEST.tsv stores it.
std::string to_hex(const unsigned char* digest, unsigned size) {
  static constexpr std::array<char, 16> kHex = {
      '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'};
  std::string out;
  out.reserve(static_cast<std::size_t>(size) * 2);
  for (unsigned i = 0; i < size; ++i) {
    out.push_back(kHex.at(digest[i] >> 4));
    out.push_back(kHex.at(digest[i] & 0x0F));
  }
  return out;
}

}  // namespace

// One-shot digest for in-memory data (rule sets, embedded files).
std::string sha256_hex(const void* data, std::size_t size) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned len = 0;
  if (EVP_Digest(data, size, digest.data(), &len, EVP_sha256(), nullptr) != 1) {
    return "";
  }
  return to_hex(digest.data(), len);
}

Result<Evidence> describe_source(const ByteSource& source, const std::string& kind) {
  const std::string& name = source.name();
  const std::unique_ptr<EVP_MD_CTX, EvpCtxFree> ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) {
    return fail(ErrorCode::kIo, name, "cannot initialise SHA-256");
  }
  // Stream the bytes: hives and EVTX logs can be hundreds of MiB, so never load them whole.
  std::vector<std::uint8_t> block(kBlockSize);
  std::uint64_t total = 0;
  for (;;) {
    auto n = source.read_at(total, block);
    if (!n) {
      return fail(std::move(n).error());
    }
    if (*n == 0) {
      break;
    }
    if (EVP_DigestUpdate(ctx.get(), block.data(), *n) != 1) {
      return fail(ErrorCode::kIo, name, "SHA-256 update failed");
    }
    total += *n;
  }
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned len = 0;
  if (EVP_DigestFinal_ex(ctx.get(), digest.data(), &len) != 1) {
    return fail(ErrorCode::kIo, name, "SHA-256 final failed");
  }

  Evidence ev;
  ev.path = name;
  ev.kind = kind;
  // The size hashed, not the size at open: they differ only if the file changed while being read.
  ev.size = total;
  ev.sha256 = to_hex(digest.data(), len);
  ev.status = "ok";
  return ev;
}

Result<Evidence> describe_file(const std::string& path, const std::string& kind) {
  // Only regular files are hashed: open_file_source refuses FIFOs and devices.
  auto source = open_file_source(path);
  if (!source) {
    return fail(std::move(source).error());
  }
  return describe_source(**source, kind);
}

}  // namespace smssaudit::evidence
