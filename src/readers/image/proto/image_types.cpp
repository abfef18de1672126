// The plain value types of include/smssaudit/readers/image.hpp, shared by smssaudit (the service
// client) and smssaudit-imaged (the TSK side).
#include "smssaudit/readers/image.hpp"

namespace smssaudit::readers::image {

std::string ImageFileRef::file_name() const {
  const auto slash = ntfs_path.find_last_of('/');
  return slash == std::string::npos ? ntfs_path : ntfs_path.substr(slash + 1);
}

std::string ImageFileRef::source_name() const {
  return image_path + "@" + std::to_string(partition_offset) + ":" + ntfs_path;
}

std::string Installation::label() const {
  return image_path + "@" + std::to_string(offset);
}

const char* to_string(ArtifactRole role) noexcept {
  switch (role) {
    case ArtifactRole::kSystemHive:
      return "system_hive";
    case ArtifactRole::kSystemLog:
      return "system_log";
    case ArtifactRole::kSoftwareHive:
      return "software_hive";
    case ArtifactRole::kRegBackHive:
      return "regback_hive";
    case ArtifactRole::kEventLog:
      return "event_log";
  }
  return "unknown";
}

}  // namespace smssaudit::readers::image
