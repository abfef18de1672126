// The fact vocabulary: every kind an analysis emits and the typed fields rules may use. Adding a
// field here is what makes it usable in a rule; the loader rejects anything not listed.
#include "smssaudit/facts/schema.hpp"

#include <algorithm>
#include <array>

namespace smssaudit::facts {
namespace {

using enum FieldType;

// Fields every registry.* fact carries: where the value lives and what it held.
#define SMSSAUDIT_REGISTRY_COMMON                                                              \
  FieldSpec{"control_set", kString, "ControlSetNNN the value was read from"},                  \
      FieldSpec{"current", kBool, "the control set is Select\\Current"},                       \
      FieldSpec{"key", kString, "key path inside the hive, e.g. ControlSet001\\Control\\..."}, \
      FieldSpec{"value", kString, "registry value name"},                                      \
      FieldSpec{"data", kString, "value data as displayed"}, FieldSpec {                       \
    "last_written", kString, "key last-written time, ISO-8601 UTC"                             \
  }

constexpr std::array kExecuteEntry{
    SMSSAUDIT_REGISTRY_COMMON,
    FieldSpec{"slot", kString, "BootExecute, BootExecuteNoPnpSync, SetupExecute, ..."},
    FieldSpec{"index", kInt, "position of the entry in the value"},
    FieldSpec{"command", kString, "the entry as stored"},
    FieldSpec{"image", kString, "program token after the smss keywords (autocheck/async/debug)"},
    FieldSpec{"keywords", kString, "leading smss keywords, space separated"},
    FieldSpec{"is_default", kBool, "the entry is the OS default autochk command"},
    FieldSpec{"allowed", kBool, "matched by the OS or site baseline allowlist"},
    FieldSpec{"image_has_path", kBool, "the image token contains a path separator"},
};

constexpr std::array kExecuteSlot{
    SMSSAUDIT_REGISTRY_COMMON,
    FieldSpec{"slot", kString, "value name"},
    FieldSpec{"present", kBool, "the value exists"},
    FieldSpec{"value_type", kString, "REG_MULTI_SZ, ..."},
    FieldSpec{"entry_count", kInt, "non-empty entries"},
    FieldSpec{"has_autochk", kBool, "an entry runs autochk"},
    FieldSpec{"session_manager_present", kBool, "the Session Manager key itself was readable"},
};

constexpr std::array kAppCertDll{
    SMSSAUDIT_REGISTRY_COMMON,
    FieldSpec{"dll", kString, "the DLL path the value names"},
    FieldSpec{"allowed", kBool, "matched by a baseline allowlist"},
};

constexpr std::array kKnownDll{
    SMSSAUDIT_REGISTRY_COMMON,
    FieldSpec{"name", kString, "value name (removed entries: the expected name)"},
    FieldSpec{"dll", kString, "value data: the DLL file name"},
    FieldSpec{"state", kString, "baseline | added | removed"},
    FieldSpec{"has_path", kBool, "data contains a path separator or drive"},
    FieldSpec{"name_mismatch", kBool, "data is not <name>.dll (WoW64 '_' names excepted)"},
    FieldSpec{"baseline", kString, "baseline id the entry was compared with"},
};

constexpr std::array kKnownDllsDirectory{
    SMSSAUDIT_REGISTRY_COMMON,
    FieldSpec{"present", kBool, "the value exists"},
    FieldSpec{"directory", kString, "value data"},
    FieldSpec{"expected", kString, "allowed values, ' | ' separated"},
    FieldSpec{"matches", kBool, "data equals an allowed value (path-normalised)"},
};

constexpr std::array kExcludeKnownDll{
    SMSSAUDIT_REGISTRY_COMMON,
    FieldSpec{"dll", kString, "entry of ExcludeFromKnownDlls"},
    FieldSpec{"allowed", kBool, "matched by a baseline allowlist"},
};

constexpr std::array kSubsystemEntry{
    SMSSAUDIT_REGISTRY_COMMON,
    FieldSpec{"list", kString, "Required | Optional"},
    FieldSpec{"name", kString, "subsystem name listed"},
    FieldSpec{"in_baseline", kBool, "listed by the baseline for that list"},
};

constexpr std::array kCsrss{
    SMSSAUDIT_REGISTRY_COMMON,
    FieldSpec{"present", kBool, "SubSystems\\Windows exists"},
    FieldSpec{"image", kString, "first token of the command line"},
    FieldSpec{"image_ok", kBool, "image is %SystemRoot%\\system32\\csrss.exe"},
    FieldSpec{"server_dlls", kString, "ServerDll modules, comma separated"},
    FieldSpec{"extra_server_dlls", kString, "ServerDll modules not in the baseline"},
    FieldSpec{"extra_server_dll_count", kInt, "number of extra ServerDll modules"},
};

constexpr std::array kKmode{
    SMSSAUDIT_REGISTRY_COMMON,
    FieldSpec{"present", kBool, "SubSystems\\Kmode exists"},
    FieldSpec{"path", kString, "value data"},
    FieldSpec{"is_win32k", kBool, "path is \\SystemRoot\\System32\\win32k*.sys"},
};

constexpr std::array kSetting{
    SMSSAUDIT_REGISTRY_COMMON,
    FieldSpec{"name", kString, "value name (canonical spelling)"},
    FieldSpec{"present", kBool, "the value exists"},
    FieldSpec{"number", kInt, "numeric data (DWORD/QWORD), absent otherwise"},
    FieldSpec{"value_type", kString, "REG_DWORD, ..."},
};

constexpr std::array kPendingRename{
    SMSSAUDIT_REGISTRY_COMMON,
    FieldSpec{"index", kInt, "pair index within the value"},
    FieldSpec{"operation", kString, "rename | delete"},
    FieldSpec{"source", kString, "source path as stored"},
    FieldSpec{"target", kString, "target path as stored ('!' removed), empty for delete"},
    FieldSpec{"replace_existing", kBool, "target carried the '!' prefix"},
    FieldSpec{"target_system_dir", kBool, "target under System32, SysWOW64 or drivers"},
    FieldSpec{"source_system_dir", kBool, "source under System32, SysWOW64 or drivers"},
    FieldSpec{"source_user_writable", kBool, "source under a user-writable folder"},
    FieldSpec{"allowed", kBool, "source matched a baseline allowlist"},
};

constexpr std::array kEnvironment{
    SMSSAUDIT_REGISTRY_COMMON,
    FieldSpec{"name", kString, "variable name"},
    FieldSpec{"normalized", kString, "data as a normalised Windows path"},
};

constexpr std::array kPathEntry{
    SMSSAUDIT_REGISTRY_COMMON,
    FieldSpec{"index", kInt, "position in Path"},
    FieldSpec{"directory", kString, "entry as stored"},
    FieldSpec{"normalized", kString, "entry as a normalised path"},
    FieldSpec{"user_writable", kBool, "entry is a user-writable folder"},
    FieldSpec{"before_system32", kBool, "entry comes before %SystemRoot%\\system32"},
};

constexpr std::array kPathextEntry{
    SMSSAUDIT_REGISTRY_COMMON,
    FieldSpec{"extension", kString, "entry, upper-case"},
    FieldSpec{"in_baseline", kBool, "listed by the baseline"},
};

constexpr std::array kPagingConfig{
    SMSSAUDIT_REGISTRY_COMMON,
    FieldSpec{"present", kBool, "PagingFiles exists"},
    FieldSpec{"count", kInt, "non-empty entries"},
    FieldSpec{"disabled", kBool, "no paging file configured"},
};

constexpr std::array kPagingFile{
    SMSSAUDIT_REGISTRY_COMMON,
    FieldSpec{"entry", kString, "entry as stored"},
    FieldSpec{"path", kString, "file path part"},
    FieldSpec{"drive", kString, "drive letter, '?' for system managed"},
    FieldSpec{"system_managed", kBool, "?:\\pagefile.sys form"},
    FieldSpec{"unusual_volume", kBool, "not on C: or the system-managed volume"},
};

constexpr std::array kControlSetDiff{
    FieldSpec{"key", kString, "key path relative to the control set"},
    FieldSpec{"value", kString, "value name ('(key)' when the key itself differs)"},
    FieldSpec{
        "category", kString, "autostart | dll_policy | subsystems | environment | memory | other"},
    FieldSpec{"sets", kString, "per control set: name=data, ' ; ' separated"},
    FieldSpec{"differing_sets", kString, "control sets whose data differs from the current one"},
    FieldSpec{"current_set", kString, "Select\\Current control set"},
};

constexpr std::array kReplayChange{
    SMSSAUDIT_REGISTRY_COMMON,
    FieldSpec{"change", kString, "added | removed | modified (replayed state vs on-disk file)"},
    FieldSpec{"on_disk", kString, "type:data in the primary file as stored"},
    FieldSpec{"replayed", kString, "type:data after replaying the transaction logs"},
    FieldSpec{"category",
              kString,
              "autostart | dll_policy | subsystems | environment | memory | volatile | other"},
};

constexpr std::array kSelect{
    FieldSpec{"present", kBool, "Select exists"},
    FieldSpec{"current", kInt, "Select\\Current"},
    FieldSpec{"default", kInt, "Select\\Default"},
    FieldSpec{"failed", kInt, "Select\\Failed"},
    FieldSpec{"last_known_good", kInt, "Select\\LastKnownGood"},
    FieldSpec{"current_exists", kBool, "ControlSet for Current exists"},
    FieldSpec{"last_written", kString, "Select last-written time"},
};

constexpr std::array kHiveState{
    FieldSpec{"path", kString, "hive file"},
    FieldSpec{"hive", kString, "SYSTEM | SOFTWARE"},
    FieldSpec{"dirty", kBool, "checksum bad or sequence numbers differ"},
    FieldSpec{"checksum_ok", kBool, "base-block checksum valid"},
    FieldSpec{"primary_sequence", kInt, "base block +4"},
    FieldSpec{"secondary_sequence", kInt, "base block +8"},
    FieldSpec{"logs_present", kBool, "LOG/LOG1/LOG2 found beside the hive"},
    FieldSpec{"log_count", kInt, "transaction logs found"},
    FieldSpec{"replayed", kBool, "logs were replayed into the audited image"},
};

#undef SMSSAUDIT_REGISTRY_COMMON

// Sorted by kind (find_kind uses binary search).
constexpr std::array kKinds{
    KindSpec{"hive.state", "base-block state of a hive", kHiveState},
    KindSpec{"registry.appcert_dll", "a value under Session Manager\\AppCertDlls", kAppCertDll},
    KindSpec{"registry.control_set_diff",
             "an audited value whose data differs between control sets",
             kControlSetDiff},
    KindSpec{"registry.csrss", "SubSystems\\Windows (the csrss command line)", kCsrss},
    KindSpec{"registry.environment", "a Session Manager\\Environment variable", kEnvironment},
    KindSpec{"registry.exclude_known_dll", "an ExcludeFromKnownDlls entry", kExcludeKnownDll},
    KindSpec{
        "registry.execute_entry", "one entry of a *Execute* smss autostart slot", kExecuteEntry},
    KindSpec{"registry.execute_slot", "one *Execute* slot of a control set", kExecuteSlot},
    KindSpec{"registry.kmode", "SubSystems\\Kmode", kKmode},
    KindSpec{"registry.known_dll", "a KnownDLLs entry compared with the baseline", kKnownDll},
    KindSpec{"registry.known_dlls_directory",
             "KnownDLLs\\DllDirectory or DllDirectory32",
             kKnownDllsDirectory},
    KindSpec{"registry.paging_config", "Memory Management\\PagingFiles as a whole", kPagingConfig},
    KindSpec{"registry.paging_file", "one PagingFiles entry", kPagingFile},
    KindSpec{"registry.path_entry", "one directory of Environment\\Path", kPathEntry},
    KindSpec{"registry.pathext_entry", "one extension of Environment\\PATHEXT", kPathextEntry},
    KindSpec{
        "registry.pending_rename", "one PendingFileRenameOperations(2) operation", kPendingRename},
    KindSpec{"registry.replay_change",
             "an audited value that only the transaction logs hold (changed before acquisition)",
             kReplayChange},
    KindSpec{"registry.select", "SYSTEM\\Select", kSelect},
    KindSpec{"registry.setting", "a scalar Session Manager policy value", kSetting},
    KindSpec{"registry.subsystem_entry", "a SubSystems Required/Optional entry", kSubsystemEntry},
};

}  // namespace

const char* to_string(FieldType t) noexcept {
  switch (t) {
    case FieldType::kString:
      return "string";
    case FieldType::kInt:
      return "int";
    case FieldType::kBool:
      return "bool";
  }
  return "?";
}

const FieldSpec* KindSpec::field(std::string_view name) const noexcept {
  auto it = std::find_if(
      fields.begin(), fields.end(), [&](const FieldSpec& f) { return f.name == name; });
  return it == fields.end() ? nullptr : &*it;
}

std::span<const KindSpec> schema() noexcept {
  return kKinds;
}

const KindSpec* find_kind(std::string_view kind) noexcept {
  auto it = std::lower_bound(
      kKinds.begin(), kKinds.end(), kind, [](const KindSpec& k, std::string_view v) {
        return k.kind < v;
      });
  return (it != kKinds.end() && it->kind == kind) ? &*it : nullptr;
}

}  // namespace smssaudit::facts
