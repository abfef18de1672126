// REGF base-block validation: every field rule of registry.md 4.2 / formats.md 9 checked without
// libregf, returning the list of problems rather than the first one.
#pragma once

#include "smssaudit/facts/registry.hpp"

#include <string>
#include <vector>

namespace smssaudit::readers {

/// What the file is expected to be; the file type (+28) and the sequence rules depend on it.
enum class BaseBlockRole {
  kPrimary,  ///< a hive: type 0; primary != secondary is "dirty", reported but not invalid
  kOldLog,   ///< an old-format log: type 1 (XP+) or 2 (NT-2000); primary must equal secondary
  kNewLog,   ///< a new-format log: type 6; primary must equal secondary
};

/// One problem: a stable code (e.g. "checksum") and a sentence citing the offset.
struct BaseBlockProblem {
  std::string code;
  std::string message;
  bool fatal = false;  ///< the base block cannot be trusted (Windows would reject or repair it)
};

/// Checks signature (+0), Windows checksum (+508), sequence numbers (+4/+8), version (+20/+24),
/// file type (+28) for `role`, file format (+32), hive-bins size (+40: non-zero multiple of 4096),
/// clustering factor (+44: 1, or a power of two up to 8 = sector size / 512), root cell offset
/// (+36: inside the bins) and, for a primary, that the file holds the declared bins. An empty
/// list means the base block is valid for its role.
std::vector<BaseBlockProblem> validate_base_block(const facts::BaseBlock& block,
                                                  BaseBlockRole role);

/// True when no problem in `problems` is fatal.
bool base_block_usable(const std::vector<BaseBlockProblem>& problems) noexcept;

}  // namespace smssaudit::readers
