// The Sleuth Kit side of disk-image reading: what smssaudit-imaged runs (src/readers/image/tsk is
// linked only into that helper process, never into smssaudit itself; see service.hpp for why).
// Same contracts as DiskImage in include/smssaudit/readers/image.hpp, which forwards to this class
// over the service protocol.
#pragma once

#include "smssaudit/core/byte_source.hpp"
#include "smssaudit/core/diagnostics.hpp"
#include "smssaudit/core/result.hpp"
#include "smssaudit/readers/image.hpp"

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace smssaudit::readers::image {

class TskImage {
 public:
  /// Opens the segments read-only (every segment given, in order). Errors name the first one.
  static Result<TskImage> open(const std::vector<std::string>& segments);

  [[nodiscard]] std::string format() const;
  [[nodiscard]] std::uint64_t size() const noexcept;
  [[nodiscard]] std::vector<Installation> installations(DiagnosticSink& sink) const;
  [[nodiscard]] Result<std::vector<ImageFileRef>> list(const Installation& inst,
                                                       std::string_view dir_path) const;
  [[nodiscard]] Result<std::optional<ImageFileRef>> find(const Installation& inst,
                                                         std::string_view path) const;
  [[nodiscard]] Result<std::unique_ptr<ByteSource>> open(const ImageFileRef& file) const;

 private:
  explicit TskImage(std::shared_ptr<detail::ImageState> state);
  std::shared_ptr<detail::ImageState> state_;
};

}  // namespace smssaudit::readers::image
