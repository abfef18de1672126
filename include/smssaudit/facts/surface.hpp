// The Session Manager surface: which keys under each ControlSetNNN the audit captures
// (design.md 3.1, registry.md 1 and 3). One table, read by the hive reader and the analyses.
#pragma once

#include <span>
#include <string_view>

namespace smssaudit::facts {

struct SurfaceKey {
  std::string_view path;   ///< relative to ControlSetNNN
  std::string_view label;  ///< short name used in reports and rule fields ("session_manager")
};

/// Keys captured for every control set, in report order.
std::span<const SurfaceKey> session_manager_surface() noexcept;

inline constexpr std::string_view kSessionManager = "Control\\Session Manager";
inline constexpr std::string_view kKnownDlls = "Control\\Session Manager\\KnownDLLs";
inline constexpr std::string_view kAppCertDlls = "Control\\Session Manager\\AppCertDlls";
inline constexpr std::string_view kSubSystems = "Control\\Session Manager\\SubSystems";
inline constexpr std::string_view kEnvironment = "Control\\Session Manager\\Environment";
inline constexpr std::string_view kMemoryManagement = "Control\\Session Manager\\Memory Management";
inline constexpr std::string_view kPrefetchParameters =
    "Control\\Session Manager\\Memory Management\\PrefetchParameters";
inline constexpr std::string_view kDosDevices = "Control\\Session Manager\\DOS Devices";
inline constexpr std::string_view kKernel = "Control\\Session Manager\\Kernel";
inline constexpr std::string_view kComputerName = "Control\\ComputerName\\ComputerName";
inline constexpr std::string_view kTimeZone = "Control\\TimeZoneInformation";
inline constexpr std::string_view kWindows = "Control\\Windows";

}  // namespace smssaudit::facts
