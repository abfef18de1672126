// SHA-256 of a whole ByteSource, computed on a thread of its own while the EVTX engines parse the
// same bytes (issue 8): the evidence hash no longer costs a separate, single-threaded pass before
// parsing. The value is the one evidence::describe_file reports (lower-case hex, size = bytes
// hashed), so inputs[].sha256 does not change.
#pragma once

#include "smssaudit/core/byte_source.hpp"
#include "smssaudit/core/result.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <thread>

namespace smssaudit::readers::evtx_native {

/// What hashing a source produced.
struct SourceDigest {
  std::uint64_t size = 0;  ///< bytes hashed (the source's size unless it shrank while read)
  std::string sha256;      ///< lower-case hex
};

/// Reads `source` sequentially from offset 0 to its end in 1 MiB blocks and hashes it.
Result<SourceDigest> sha256_of(const ByteSource& source);

/// sha256_of on a background thread, started by the constructor; result() joins. The source must
/// outlive the object (result() or the destructor joins the thread).
class BackgroundHash {
 public:
  explicit BackgroundHash(const ByteSource& source);
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
