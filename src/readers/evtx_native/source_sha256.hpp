// SHA-256 of a whole ByteSource, computed while the EVTX engines parse the same bytes (issue 8).
// The native scanner feeds a Sha256Stream with the chunks it has read, in file order, so every
// byte is read from the file once; the caller hashes whatever the scanner did not read (the tail
// after the last whole chunk, or the rest of the file after a fallback to libevtx), on a thread of
// its own when libevtx parses meanwhile. The value is the one evidence::describe_file reports
// (lower-case hex, size = bytes hashed), so inputs[].sha256 does not change.
#pragma once

#include "smssaudit/core/byte_source.hpp"
#include "smssaudit/core/result.hpp"

#include <openssl/evp.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <thread>

namespace smssaudit::readers::evtx_native {

/// What hashing a source produced.
struct SourceDigest {
  std::uint64_t size = 0;  ///< bytes hashed (the source's size unless it shrank while read)
  std::string sha256;      ///< lower-case hex
};

/// SHA-256 over bytes given in order (OpenSSL EVP).
class Sha256Stream {
 public:
  Sha256Stream();

  /// Appends bytes. A failure is remembered and reported by finish().
  void update(std::span<const std::uint8_t> bytes);

  /// Bytes hashed so far: the offset in the source the next update() must start at.
  [[nodiscard]] std::uint64_t size() const noexcept { return size_; }

  /// The digest of everything given; `name` names the source in an error.
  Result<SourceDigest> finish(const std::string& name);

 private:
  struct CtxFree {
    void operator()(EVP_MD_CTX* ctx) const noexcept { EVP_MD_CTX_free(ctx); }
  };

  std::unique_ptr<EVP_MD_CTX, CtxFree> ctx_;
  bool ok_ = false;
  std::uint64_t size_ = 0;
};

/// Hashes `source` from stream.size() to its end (1 MiB reads) and finishes the stream.
Result<SourceDigest> hash_rest(const ByteSource& source, Sha256Stream stream);

/// The whole source: hash_rest from offset 0.
Result<SourceDigest> sha256_of(const ByteSource& source);

/// hash_rest on a background thread, started by the constructor; result() joins. The source must
/// outlive the object (result() or the destructor joins the thread).
class BackgroundHash {
 public:
  explicit BackgroundHash(const ByteSource& source, Sha256Stream start = {});
  BackgroundHash(const BackgroundHash&) = delete;
  BackgroundHash& operator=(const BackgroundHash&) = delete;
  BackgroundHash(BackgroundHash&&) = delete;
  BackgroundHash& operator=(BackgroundHash&&) = delete;
  ~BackgroundHash() = default;  // std::jthread joins

  /// Waits for the thread and returns its result (once; later calls return the same value).
  const Result<SourceDigest>& result();

 private:
  std::optional<Result<SourceDigest>> result_;
  std::jthread thread_;  // last: started after result_ exists, joined before it is destroyed
};

}  // namespace smssaudit::readers::evtx_native
