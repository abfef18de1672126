// FileSource: ByteSource over a ReadOnlyFile; pread makes concurrent reads safe.
#include "smssaudit/evidence/file_source.hpp"

#include "evidence/read_only_file.hpp"

#include <utility>

namespace smssaudit::evidence {
namespace {

class FileSource final : public ByteSource {
 public:
  explicit FileSource(ReadOnlyFile file) : file_(std::move(file)) {}

  [[nodiscard]] std::uint64_t size() const noexcept override { return file_.size(); }

  [[nodiscard]] Result<std::size_t> read_at(std::uint64_t offset,
                                            std::span<std::uint8_t> buf) const override {
    return file_.read_at(offset, buf);
  }

  void will_need(std::uint64_t offset, std::uint64_t size) const noexcept override {
    file_.will_need(offset, size);
  }

  [[nodiscard]] const std::string& name() const noexcept override { return file_.path(); }

 private:
  ReadOnlyFile file_;
};

}  // namespace

Result<std::unique_ptr<ByteSource>> open_file_source(const std::string& path) {
  auto file = ReadOnlyFile::open(path);
  if (!file) {
    return fail(std::move(file).error());
  }
  return std::unique_ptr<ByteSource>(std::make_unique<FileSource>(std::move(*file)));
}

}  // namespace smssaudit::evidence
