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

// ---- lineage.* (analysis/lineage, issue 3). Times are ISO-8601 UTC strings; a field whose truth
// the logs cannot tell is absent, so a rule comparing it does not fire on missing evidence.

constexpr std::array kLineageBoot{
    FieldSpec{"boot", kInt, "1-based boot index, chronological"},
    FieldSpec{"start", kString, "boot start"},
    FieldSpec{"start_basis",
              kString,
              "system:12 | system:6005 | system:6009 | security:4608 | master-smss | "
              "sysmon:boot-chain | first-event"},
    FieldSpec{"end", kString, "boot end, absent when not seen"},
    FieldSpec{"end_basis", kString, "system:13 | system:6006 | security:1100 | next-boot"},
    FieldSpec{"unexpected_end", kBool, "the next boot logged 6008 (unexpected shutdown)"},
    FieldSpec{"master_count", kInt, "master smss instances created in the boot"},
    FieldSpec{"session_child_count", kInt, "session child smss instances"},
    FieldSpec{"other_smss_count", kInt, "smss.exe instances that are neither"},
    FieldSpec{"has_master", kBool, "a master smss creation was observed"},
    FieldSpec{"process_starts", kInt, "process instances created in the boot (any image)"},
};

constexpr std::array kLineageSmss{
    FieldSpec{"boot", kInt, "boot index"},
    FieldSpec{"boot_start_basis", kString, "how the boot start was found (see lineage.boot)"},
    FieldSpec{"role", kString, "master | session_child | other"},
    FieldSpec{"pid", kInt, "process id"},
    FieldSpec{"image", kString, "image path as logged"},
    FieldSpec{"image_in_system32",
              kBool,
              "image is <drive>:\\Windows|WINNT\\System32\\smss.exe or \\SystemRoot\\System32"
              "\\smss.exe (case-insensitive)"},
    FieldSpec{"start", kString, "creation time"},
    FieldSpec{"sources", kString, "creation views merged: security, sysmon"},
    FieldSpec{"command_line_known", kBool, "the creation event recorded a command line"},
    FieldSpec{"command_line", kString, "command line (absent when not recorded)"},
    FieldSpec{"arguments", kString, "command line after the program token"},
    FieldSpec{"has_arguments", kBool, "arguments non-empty (absent when command line unknown)"},
    FieldSpec{"child_args_ok",
              kBool,
              "arguments are two 8-digit hex values, optionally followed by the Win11 tail"},
    FieldSpec{"parent_pid", kInt, "creator/parent PID as logged"},
    FieldSpec{"parent_is_system", kBool, "parent PID is 4 (absent when unknown)"},
    FieldSpec{"parent_image", kString, "parent image (linked instance, else as logged)"},
    FieldSpec{"parent_instance_seen", kBool, "the parent's own creation was logged in the boot"},
    FieldSpec{"parent_known", kBool, "parent instance seen, PID 4, or parent image logged"},
    FieldSpec{"parent_is_smss", kBool, "parent image is smss.exe (absent when unknown)"},
    FieldSpec{"user_known", kBool, "the account was logged"},
    FieldSpec{"user_sid", kString, "account SID"},
    FieldSpec{"user_name", kString, "account name as logged"},
    FieldSpec{"account", kString, "name (SID), name or SID: whichever was logged"},
    FieldSpec{"runs_as_system", kBool, "account is Local System (absent when unknown)"},
    FieldSpec{"exits_collected",
              kBool,
              "the log(s) that saw the creation also hold exit events (4689 / Sysmon 5)"},
    FieldSpec{"exited", kBool, "an exit event closed the instance"},
    FieldSpec{"end", kString, "exit time"},
    FieldSpec{"lifetime_ms", kInt, "exit - creation in ms (absent without exit)"},
    FieldSpec{"observed_until_ms",
              kInt,
              "ms from creation to the boot's last process event: how long the logs watched"},
    FieldSpec{"spawned_count", kInt, "processes it created"},
    FieldSpec{"spawned", kString, "their file names, comma separated"},
    FieldSpec{"spawned_other_count", kInt, "children other than csrss, wininit, winlogon"},
    FieldSpec{"spawned_other", kString, "their images, comma separated"},
    FieldSpec{"spawned_expected", kBool, "exactly csrss plus one of wininit/winlogon"},
    FieldSpec{"session_id", kInt, "session the child created"},
    FieldSpec{"session_basis",
              kString,
              "sysmon:TerminalSessionId | security:wininit | security:winlogon>4624>LSM21 ..."},
    FieldSpec{"logon_type", kInt, "LogonType of the session's 4624"},
    FieldSpec{"session_user", kString, "LSM 21 User or 4624 target account"},
    FieldSpec{"session_address", kString, "LSM 21 Address (LOCAL = console)"},
    FieldSpec{"master_delay_ms",
              kInt,
              "masters: creation - System 12 StartTime, when the boot start is a System 12"},
    FieldSpec{"masters_in_boot", kInt, "master instances in the same boot"},
};

constexpr std::array kLineageSessionProcess{
    FieldSpec{"boot", kInt, "boot index"},
    FieldSpec{"pid", kInt, "process id"},
    FieldSpec{"image", kString, "image path as logged"},
    FieldSpec{"name", kString, "csrss.exe | wininit.exe | winlogon.exe"},
    FieldSpec{"start", kString, "creation time"},
    FieldSpec{"session_id", kInt, "Sysmon TerminalSessionId"},
    FieldSpec{"parent_pid", kInt, "creator/parent PID as logged"},
    FieldSpec{"parent_is_system", kBool, "parent PID is 4"},
    FieldSpec{"parent_image", kString, "parent image (linked instance, else as logged)"},
    FieldSpec{"parent_instance_seen", kBool, "the parent's own creation was logged in the boot"},
    FieldSpec{"parent_known", kBool, "parent instance seen, PID 4, or parent image logged"},
    FieldSpec{"parent_is_smss", kBool, "parent image is smss.exe (absent when unknown)"},
    FieldSpec{"parent_role",
              kString,
              "master | session_child | other (parent is that smss) | not_smss | unknown"},
};

constexpr std::array kLineageSmssSpawn{
    FieldSpec{"boot", kInt, "boot index"},
    FieldSpec{"pid", kInt, "process id"},
    FieldSpec{"image", kString, "image path as logged"},
    FieldSpec{"name", kString, "image file name, lower case"},
    FieldSpec{"command_line", kString, "command line when logged"},
    FieldSpec{"start", kString, "creation time"},
    FieldSpec{"parent_pid", kInt, "the master smss PID"},
    FieldSpec{"parent_image", kString, "the master smss image"},
    FieldSpec{"is_autochk", kBool, "name is autochk.exe (the default BootExecute program)"},
    FieldSpec{"is_setupcl", kBool, "name is setupcl.exe (sysprep specialize, SetupExecute)"},
    FieldSpec{"first_boot_after_sysprep",
              kBool,
              "setupcl.exe from System32, its first run in the logs, within the first 3 boots "
              "that have process events (sysprep specialize runs it once)"},
    FieldSpec{"hive_available", kBool, "a SYSTEM hive with control sets was audited"},
    FieldSpec{
        "listed_in_hive", kBool, "a BootExecute-family entry of any control set names this file"},
    FieldSpec{"allowed_by_baseline",
              kBool,
              "every hive entry naming it is allowed by the OS/site baseline (absent if unlisted)"},
    FieldSpec{"control_sets", kString, "control sets listing it, comma separated"},
    FieldSpec{"slots", kString, "values listing it (BootExecute, SetupExecute ...)"},
};

constexpr std::array kLineageLogClear{
    FieldSpec{"channel", kString, "the log that was cleared"},
    FieldSpec{"user", kString, "account that cleared it"},
    FieldSpec{"user_sid", kString, "its SID"},
    FieldSpec{"time", kString, "when"},
    FieldSpec{"event_id", kInt, "1102 (Security) or 104 (System)"},
    FieldSpec{"record_id", kInt, "EventRecordID"},
    FieldSpec{"artifact", kString, "EVTX file"},
};

constexpr std::array kLineageClockChange{
    FieldSpec{"process", kString, "ProcessName that changed the clock (absent in 4616 v0)"},
    FieldSpec{"user_sid", kString, "subject SID"},
    FieldSpec{"time", kString, "when (event time)"},
    FieldSpec{"previous_time", kString, "PreviousTime"},
    FieldSpec{"new_time", kString, "NewTime"},
    FieldSpec{"delta_s", kInt, "NewTime - PreviousTime in seconds"},
    FieldSpec{"abs_delta_s", kInt, "absolute delta in seconds"},
    FieldSpec{"by_time_service",
              kBool,
              "svchost as LOCAL SERVICE (w32time) or a VM guest tool as SYSTEM; absent when the "
              "process is unknown"},
    FieldSpec{"record_id", kInt, "EventRecordID"},
};

#undef SMSSAUDIT_REGISTRY_COMMON

// Sorted by kind (find_kind uses binary search).
constexpr std::array kKinds{
    KindSpec{"hive.state", "base-block state of a hive", kHiveState},
    KindSpec{"lineage.boot", "one boot rebuilt from the event logs", kLineageBoot},
    KindSpec{"lineage.clock_change", "a system time change (Security 4616)", kLineageClockChange},
    KindSpec{
        "lineage.log_clear", "a cleared event log (Security 1102, System 104)", kLineageLogClear},
    KindSpec{"lineage.session_process",
             "a csrss, wininit or winlogon instance and its parent",
             kLineageSessionProcess},
    KindSpec{"lineage.smss_instance", "one smss.exe process instance", kLineageSmss},
    KindSpec{"lineage.smss_spawn",
             "a non-smss process started by a master smss (autochk, BootExecute programs)",
             kLineageSmssSpawn},
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
