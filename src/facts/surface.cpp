// The Session Manager surface table (design.md 3.1, registry.md 1 and 3): the keys the hive reader
// captures under every ControlSetNNN, in report order.
#include "smssaudit/facts/surface.hpp"

#include <array>

namespace smssaudit::facts {
namespace {

constexpr std::array<SurfaceKey, 17> kSurface = {{
    // smss itself: BootExecute, SetupExecute, rename queue, DLL policy (registry.md 1.1-1.4).
    {kSessionManager, "session_manager"},
    {kAppCertDlls, "appcertdlls"},
    {kKnownDlls, "knowndlls"},
    {kSubSystems, "subsystems"},
    {kEnvironment, "environment"},
    {kMemoryManagement, "memory_management"},
    {kPrefetchParameters, "prefetch"},
    {"Control\\Session Manager\\DOS Devices", "dos_devices"},
    {"Control\\Session Manager\\Kernel", "kernel"},
    {"Control\\Session Manager\\Executive", "executive"},
    {"Control\\Session Manager\\Power", "power"},
    {"Control\\Session Manager\\Configuration Manager", "configuration_manager"},
    // Context keys (registry.md 3): host identity, clock, shutdown time, other boot launchers.
    {kComputerName, "computer_name"},
    {kTimeZone, "time_zone"},
    {kWindows, "windows"},
    {"Control\\BootVerificationProgram", "boot_verification"},
    {"Control\\ServiceControlManagerExtension", "scm_extension"},
}};

}  // namespace

std::span<const SurfaceKey> session_manager_surface() noexcept {
  return kSurface;
}

}  // namespace smssaudit::facts
