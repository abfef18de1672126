// Session Manager configuration audit. Turns captured registry keys into typed rule facts with
// derived fields (is it the default? allowed by the baseline? user-writable?). It never decides
// what is bad: that is the rules' job (style.md 2.1, "analyses compute, rules judge").
#include "smssaudit/analysis/smss_config_audit.hpp"

#include "smssaudit/core/filetime.hpp"
#include "smssaudit/core/text.hpp"
#include "smssaudit/facts/surface.hpp"

#include <algorithm>
#include <map>
#include <regex>
#include <set>

namespace smssaudit::analysis {
namespace {

using facts::Fact;
using facts::RegKey;
using facts::RegValue;

// The smss autostart family (registry.md 1.2). S0InitialCommand replaces wininit.exe.
constexpr std::string_view kExecuteSlots[] = {"BootExecute",
                                              "BootExecuteNoPnpSync",
                                              "SetupExecute",
                                              "SetupExecuteNoPnpSync",
                                              "PlatformExecute",
                                              "Execute",
                                              "S0InitialCommand"};

// Keywords smss accepts before the image name (ReactOS smutil.c: autocheck, async, debug).
constexpr std::string_view kExecuteKeywords[] = {"autocheck", "async", "debug"};

struct SettingSpec {
  std::string_view key;
  std::string_view name;
};

// Scalar policy values the rules judge (registry.md 1.4, 1.7, 1.8).
constexpr SettingSpec kSettings[] = {
    {facts::kSessionManager, "SafeDllSearchMode"},
    {facts::kSessionManager, "CWDIllegalInDllSearch"},
    {facts::kSessionManager, "SafeProcessSearchMode"},
    {facts::kSessionManager, "GlobalFlag"},
    {facts::kSessionManager, "ProtectionMode"},
    {facts::kSessionManager, "AllowProtectedRenames"},
    {facts::kSessionManager, "DisableWpbtExecution"},
    {facts::kMemoryManagement, "ClearPageFileAtShutdown"},
    {facts::kMemoryManagement, "PagefileOnOsVolume"},
    {facts::kMemoryManagement, "TempPageFile"},
    {facts::kPrefetchParameters, "EnablePrefetcher"},
};

// Keys whose values are compared across control sets, and values that legitimately churn.
constexpr std::string_view kDiffKeys[] = {facts::kSessionManager,
                                          facts::kAppCertDlls,
                                          facts::kKnownDlls,
                                          facts::kSubSystems,
                                          facts::kEnvironment,
                                          facts::kMemoryManagement,
                                          facts::kDosDevices,
                                          facts::kKernel};
constexpr std::string_view kVolatileValues[] = {"pendingfilerenameoperations",
                                                "pendingfilerenameoperations2",
                                                "existingpagefiles",
                                                "pagefileusage"};

// Folders an unprivileged user can write to (the interesting sources of a queued rename, and
// the dangerous entries of Path). Matched on normalised paths, any drive.
constexpr std::string_view kUserWritable[] = {"\\users\\",
                                              "\\programdata\\",
                                              "\\windows\\temp\\",
                                              "\\temp\\",
                                              "\\tmp\\",
                                              "\\perflogs\\",
                                              "\\windows\\tasks\\",
                                              "\\windows\\tracing\\",
                                              "\\$recycle.bin\\"};

bool contains_any(std::string_view haystack, std::span<const std::string_view> needles) {
  return std::any_of(needles.begin(), needles.end(), [&](std::string_view n) {
    return haystack.find(n) != std::string_view::npos;
  });
}

bool list_contains(const std::vector<std::string>& list, std::string_view item) {
  return std::any_of(
      list.begin(), list.end(), [&](const std::string& s) { return text::iequals(s, item); });
}

/// Full-match of any pattern, case-insensitively. Patterns were validated by the loader; a
/// pattern that still fails to compile is skipped rather than aborting the audit.
bool matches_any(const std::vector<std::string>& patterns, const std::string& subject) {
  for (const auto& p : patterns) {
    try {
      if (std::regex_match(subject, std::regex(p, std::regex::ECMAScript | std::regex::icase))) {
        return true;
      }
    } catch (const std::regex_error&) {
      continue;
    }
  }
  return false;
}

/// A normalised path with a trailing separator, so prefix checks stay on folder boundaries.
std::string folder_form(std::string_view raw, std::string_view system_root) {
  std::string n = text::normalize_windows_path(raw, system_root);
  if (!n.empty() && n.back() != '\\') {
    n.push_back('\\');
  }
  return n;
}

bool in_system_dir(std::string_view raw, std::string_view system_root) {
  std::string n = folder_form(raw, system_root);
  return n.find("\\windows\\system32\\") != std::string::npos ||
         n.find("\\windows\\syswow64\\") != std::string::npos ||
         n.find("\\windows\\sysnative\\") != std::string::npos;
}

bool user_writable(std::string_view raw, std::string_view system_root) {
  return contains_any(folder_form(raw, system_root), kUserWritable);
}

/// Non-empty, trimmed strings of a list value (absent value: none). Blank list entries carry no
/// command and are not counted.
std::vector<std::string> non_empty_entries(const RegValue* v) {
  std::vector<std::string> out;
  if (v != nullptr) {
    for (const auto& s : v->strings) {
      std::string t = text::trim(s);
      if (!t.empty()) {
        out.push_back(std::move(t));
      }
    }
  }
  return out;
}

/// An smss command: leading keywords (autocheck, async, debug), then the image token.
struct ExecuteCommand {
  std::vector<std::string> keywords;
  std::string image;
};

ExecuteCommand parse_execute_command(const std::string& command) {
  ExecuteCommand out;
  for (const auto& tok : text::split(command, ' ')) {
    if (tok.empty() || !out.image.empty()) {
      continue;
    }
    bool keyword = std::any_of(std::begin(kExecuteKeywords),
                               std::end(kExecuteKeywords),
                               [&](std::string_view k) { return text::iequals(tok, k); });
    if (keyword) {
      out.keywords.push_back(tok);
    } else {
      out.image = tok;
    }
  }
  return out;
}

bool is_autochk(const std::string& image) {
  std::string lc = text::to_lower(image);
  return lc == "autochk" || lc == "autochk.exe" || text::iends_with(lc, "\\autochk.exe");
}

/// Everything the per-control-set extraction needs.
class Auditor {
 public:
  Auditor(const AuditInput& in, AuditOutput& out, facts::Baseline os, facts::Baseline merged)
      : in_(in), out_(out), os_(std::move(os)), merged_(std::move(merged)) {
    if (in.software != nullptr && in.software->system_root) {
      system_root_ = text::to_lower(*in.software->system_root);
    }
    system_drive_ = system_root_.size() >= 2 && system_root_[1] == ':' ? system_root_[0] : 'c';
  }

  void control_set(const facts::ControlSet& cs) {
    cs_ = &cs;
    current_ = in_.system->select.current && *in_.system->select.current == cs.number;
    const RegKey* sm = cs.key(facts::kSessionManager);
    if (sm == nullptr || sm->status != facts::KeyStatus::kPresent) {
      return;  // reported as a coverage gap; nothing to judge without the key
    }
    execute_slots(*sm);
    appcert_dlls();
    known_dlls(*sm);
    subsystems();
    settings();
    pending_renames(*sm);
    environment();
    paging();
  }

 private:
  // ---- helpers ----------------------------------------------------------------------------
  Fact make(std::string kind,
            const RegKey& key,
            std::string_view value_name,
            const RegValue* value) const {
    Fact f;
    f.kind = std::move(kind);
    std::string key_path = cs_->name + "\\" + key.path;
    std::string data = value != nullptr ? value->display() : std::string();
    f.set("control_set", cs_->name)
        .set("current", current_)
        .set("key", key_path)
        .set("value", std::string(value_name))
        .set("data", data)
        .set("last_written", filetime_to_iso8601(key.last_written));
    facts::EvidenceRef ev;
    ev.artifact = in_.system->path;
    ev.sha256 = in_.system_sha256;
    ev.key_path = key_path;
    ev.value_name = std::string(value_name);
    ev.value_type = value != nullptr ? facts::reg_type_name(value->type) : std::string();
    ev.data = data;
    ev.last_written = key.last_written;
    f.evidence.push_back(std::move(ev));
    return f;
  }

  const RegKey* present_key(std::string_view path) const {
    const RegKey* k = cs_->key(path);
    return (k != nullptr && k->status == facts::KeyStatus::kPresent) ? k : nullptr;
  }

  void emit(Fact f) { out_.facts.push_back(std::move(f)); }

  // ---- BootExecute family (registry.md 1.2) -------------------------------------------------
  void execute_slots(const RegKey& sm) {
    for (std::string_view slot : kExecuteSlots) {
      const RegValue* v = sm.find(slot);
      std::vector<std::string> entries = non_empty_entries(v);
      bool has_autochk = false;
      for (std::size_t i = 0; i < entries.size(); ++i) {
        has_autochk = execute_entry(sm, *v, slot, i, entries[i]) || has_autochk;
      }
      Fact s = make("registry.execute_slot", sm, v != nullptr ? v->name : std::string(slot), v);
      s.set("slot", std::string(slot))
          .set("present", v != nullptr)
          .set("value_type", v != nullptr ? facts::reg_type_name(v->type) : std::string())
          .set("entry_count", static_cast<std::int64_t>(entries.size()))
          .set("has_autochk", has_autochk)
          .set("session_manager_present", true);
      emit(std::move(s));
    }
  }

  /// Emits one execute_entry fact; returns whether the entry runs autochk.
  bool execute_entry(const RegKey& sm,
                     const RegValue& v,
                     std::string_view slot,
                     std::size_t index,
                     const std::string& command) {
    ExecuteCommand parsed = parse_execute_command(command);
    const std::string slot_lc = text::to_lower(slot);
    auto allowed_by = [&](const facts::Baseline& b) {
      auto it = b.execute_allow.find(slot_lc);
      return it != b.execute_allow.end() && matches_any(it->second, command);
    };
    Fact f = make("registry.execute_entry", sm, v.name, &v);
    f.set("slot", std::string(slot))
        .set("index", static_cast<std::int64_t>(index))
        .set("command", command)
        .set("image", parsed.image)
        .set("keywords", text::join(parsed.keywords, " "))
        .set("is_default", allowed_by(os_))
        .set("allowed", allowed_by(merged_))
        .set("image_has_path", parsed.image.find_first_of("\\/:") != std::string::npos);
    f.evidence.front().data = command;
    emit(std::move(f));
    return is_autochk(parsed.image);
  }

  // ---- AppCertDlls (registry.md 1.4) ----------------------------------------------------------
  void appcert_dlls() {
    const RegKey* k = present_key(facts::kAppCertDlls);
    if (k == nullptr) {
      return;
    }
    for (const auto& v : k->values) {
      Fact f = make("registry.appcert_dll", *k, v.name, &v);
      f.set("dll", v.first_string())
          .set("allowed", matches_any(merged_.appcert_dlls, v.first_string()));
      emit(std::move(f));
    }
  }

  // ---- KnownDLLs and ExcludeFromKnownDlls (registry.md 1.4) -----------------------------------
  void known_dlls(const RegKey& sm) {
    if (const RegKey* k = present_key(facts::kKnownDlls)) {
      std::set<std::string> seen;
      for (const auto& v : k->values) {
        if (text::iequals(v.name, "DllDirectory") || text::iequals(v.name, "DllDirectory32")) {
          continue;
        }
        seen.insert(text::to_lower(v.name));
        std::string dll = v.first_string();
        bool known = list_contains(merged_.known_dlls_expected, v.name) ||
                     list_contains(merged_.known_dlls_optional, v.name);
        // WoW64 entries are named "_wow64" etc. and hold "wow64.dll"; every other entry is
        // "<name>" = "<name>.dll" on clean systems.
        bool mismatch =
            !v.name.empty() && v.name.front() != '_' && !text::iequals(dll, v.name + ".dll");
        Fact f = make("registry.known_dll", *k, v.name, &v);
        f.set("name", v.name)
            .set("dll", dll)
            .set("state", std::string(known ? "baseline" : "added"))
            .set("has_path", dll.find_first_of("\\/:") != std::string::npos)
            .set("name_mismatch", mismatch)
            .set("baseline", merged_.id);
        emit(std::move(f));
      }
      for (const auto& expected : merged_.known_dlls_expected) {
        if (seen.count(text::to_lower(expected)) == 0) {
          Fact f = make("registry.known_dll", *k, expected, nullptr);
          f.set("name", expected)
              .set("dll", std::string())
              .set("state", std::string("removed"))
              .set("has_path", false)
              .set("name_mismatch", false)
              .set("baseline", merged_.id);
          emit(std::move(f));
        }
      }
      directory(*k, "DllDirectory", merged_.dll_directory);
      directory(*k, "DllDirectory32", merged_.dll_directory32);
    }
    if (const RegValue* ex = sm.find("ExcludeFromKnownDlls")) {
      for (const auto& entry : ex->strings) {
        if (text::trim(entry).empty()) {
          continue;
        }
        Fact f = make("registry.exclude_known_dll", sm, ex->name, ex);
        f.set("dll", entry).set("allowed", list_contains(merged_.exclude_from_known_dlls, entry));
        f.evidence.front().data = entry;
        emit(std::move(f));
      }
    }
  }

  void directory(const RegKey& k, std::string_view name, const std::vector<std::string>& allowed) {
    const RegValue* v = k.find(name);
    std::string data = v != nullptr ? v->first_string() : std::string();
    bool matches =
        v == nullptr || std::any_of(allowed.begin(), allowed.end(), [&](const std::string& a) {
          // Folder comparison: case, separators, %SystemRoot% spelling and a trailing '\'
          // do not matter.
          return folder_form(a, system_root_) == folder_form(data, system_root_);
        });
    Fact f =
        make("registry.known_dlls_directory", k, v != nullptr ? v->name : std::string(name), v);
    f.set("present", v != nullptr)
        .set("directory", data)
        .set("expected", text::join(allowed, " | "))
        .set("matches", matches);
    emit(std::move(f));
  }

  // ---- SubSystems (registry.md 1.5) -----------------------------------------------------------
  void subsystems() {
    const RegKey* k = present_key(facts::kSubSystems);
    if (k == nullptr) {
      return;
    }
    for (auto [list, baseline] : {std::pair{"Required", &merged_.subsystems_required},
                                  std::pair{"Optional", &merged_.subsystems_optional}}) {
      const RegValue* v = k->find(list);
      if (v == nullptr) {
        continue;
      }
      for (const auto& entry : v->strings) {
        if (text::trim(entry).empty()) {
          continue;
        }
        Fact f = make("registry.subsystem_entry", *k, v->name, v);
        f.set("list", std::string(list))
            .set("name", entry)
            .set("in_baseline", list_contains(*baseline, entry));
        emit(std::move(f));
      }
    }
    const RegValue* win = k->find("Windows");
    Fact c = make("registry.csrss", *k, "Windows", win);
    std::string cmd = win != nullptr ? win->first_string() : std::string();
    std::vector<std::string> tokens;
    for (const auto& t : text::split(cmd, ' ')) {
      if (!t.empty()) {
        tokens.push_back(t);
      }
    }
    std::string image = tokens.empty() ? std::string() : tokens.front();
    std::vector<std::string> dlls;
    std::vector<std::string> extra;
    for (const auto& t : tokens) {
      if (!text::istarts_with(t, "ServerDll=")) {
        continue;
      }
      std::string module = t.substr(10, t.find_first_of(",:", 10) - 10);
      dlls.push_back(module);
      if (!list_contains(merged_.csrss_server_dlls, module)) {
        extra.push_back(module);
      }
    }
    c.set("present", win != nullptr)
        .set("image", image)
        .set("image_ok",
             win == nullptr || text::normalize_windows_path(image, system_root_) ==
                                   text::normalize_windows_path("%SystemRoot%\\system32\\csrss.exe",
                                                                system_root_))
        .set("server_dlls", text::join(dlls, ","))
        .set("extra_server_dlls", text::join(extra, ","))
        .set("extra_server_dll_count", static_cast<std::int64_t>(extra.size()));
    emit(std::move(c));

    const RegValue* km = k->find("Kmode");
    std::string path = km != nullptr ? km->first_string() : std::string();
    static const std::regex win32k_pattern(R"(^[a-z]:\\windows\\system32\\win32k[a-z]*\.sys$)");
    Fact m = make("registry.kmode", *k, "Kmode", km);
    m.set("present", km != nullptr)
        .set("path", path)
        .set("is_win32k",
             km == nullptr || std::regex_match(text::normalize_windows_path(path, system_root_),
                                               win32k_pattern));
    emit(std::move(m));
  }

  // ---- Scalar settings -----------------------------------------------------------------------
  void settings() {
    for (const auto& s : kSettings) {
      const RegKey* k = present_key(s.key);
      if (k == nullptr) {
        continue;
      }
      const RegValue* v = k->find(s.name);
      Fact f = make("registry.setting", *k, v != nullptr ? v->name : std::string(s.name), v);
      f.set("name", std::string(s.name)).set("present", v != nullptr);
      if (v != nullptr) {
        f.set("value_type", facts::reg_type_name(v->type));
        if (v->number) {
          f.set("number", static_cast<std::int64_t>(*v->number));
        }
      }
      emit(std::move(f));
    }
  }

  // ---- Rename queue (registry.md 1.3) ---------------------------------------------------------
  void pending_renames(const RegKey& sm) {
    for (std::string_view name : {"PendingFileRenameOperations", "PendingFileRenameOperations2"}) {
      const RegValue* v = sm.find(name);
      if (v == nullptr) {
        continue;
      }
      for (const auto& op : facts::parse_pending_renames(v->name, v->strings)) {
        Fact f = make("registry.pending_rename", sm, v->name, v);
        f.set("index", static_cast<std::int64_t>(op.index))
            .set("operation", std::string(op.is_delete ? "delete" : "rename"))
            .set("source", op.source)
            .set("target", op.target)
            .set("replace_existing", op.replace_existing)
            .set("target_system_dir", !op.is_delete && in_system_dir(op.target, system_root_))
            .set("source_system_dir", in_system_dir(op.source, system_root_))
            .set("source_user_writable", user_writable(op.source, system_root_))
            .set("allowed", matches_any(merged_.pending_rename_allow, op.source));
        f.evidence.front().data =
            op.is_delete ? op.source + " -> (delete)" : op.source + " -> " + op.target;
        emit(std::move(f));
      }
    }
  }

  // ---- Environment (registry.md 1.6) ----------------------------------------------------------
  void environment() {
    const RegKey* k = present_key(facts::kEnvironment);
    if (k == nullptr) {
      return;
    }
    for (const auto& v : k->values) {
      Fact f = make("registry.environment", *k, v.name, &v);
      // Canonical form with %SystemRoot% as c:\windows whatever the real drive: rules compare
      // against the literal defaults, and a D:-installed system must not look tampered.
      f.set("name", v.name).set("normalized", text::normalize_windows_path(v.first_string()));
      emit(std::move(f));
    }
    if (const RegValue* path = k->find("Path")) {
      std::vector<std::string> dirs;
      for (const auto& d : text::split(path->first_string(), ';')) {
        if (!text::trim(d).empty()) {
          dirs.push_back(text::trim(d));
        }
      }
      const std::string sys32 =
          text::normalize_windows_path("%SystemRoot%\\system32", system_root_);
      std::size_t sys32_index = dirs.size();
      for (std::size_t i = 0; i < dirs.size(); ++i) {
        std::string n = text::normalize_windows_path(dirs[i], system_root_);
        while (!n.empty() && n.back() == '\\') {
          n.pop_back();
        }
        if (n == sys32) {
          sys32_index = i;
          break;
        }
      }
      for (std::size_t i = 0; i < dirs.size(); ++i) {
        Fact f = make("registry.path_entry", *k, path->name, path);
        f.set("index", static_cast<std::int64_t>(i))
            .set("directory", dirs[i])
            .set("normalized", text::normalize_windows_path(dirs[i], system_root_))
            .set("user_writable", user_writable(dirs[i], system_root_))
            .set("before_system32", i < sys32_index);
        emit(std::move(f));
      }
    }
    if (const RegValue* pathext = k->find("PATHEXT")) {
      for (const auto& e : text::split(pathext->first_string(), ';')) {
        std::string ext = text::trim(e);
        if (ext.empty()) {
          continue;
        }
        std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) {
          return static_cast<char>(std::toupper(c));
        });
        Fact f = make("registry.pathext_entry", *k, pathext->name, pathext);
        f.set("extension", ext).set("in_baseline", list_contains(merged_.pathext, ext));
        emit(std::move(f));
      }
    }
  }

  // ---- Paging files (registry.md 1.7) ---------------------------------------------------------
  void paging() {
    const RegKey* k = present_key(facts::kMemoryManagement);
    if (k == nullptr) {
      return;
    }
    const RegValue* v = k->find("PagingFiles");
    std::vector<std::string> entries = non_empty_entries(v);
    Fact c = make("registry.paging_config", *k, "PagingFiles", v);
    c.set("present", v != nullptr)
        .set("count", static_cast<std::int64_t>(entries.size()))
        .set("disabled", entries.empty());
    emit(std::move(c));
    for (const auto& entry : entries) {
      // "C:\pagefile.sys 1024 4096" (admin-set sizes) or "?:\pagefile.sys" (system managed).
      std::string path = entry.substr(0, entry.find(' '));
      char drive = path.size() >= 2 && path[1] == ':'
                       ? static_cast<char>(std::tolower(static_cast<unsigned char>(path[0])))
                       : '\0';
      Fact f = make("registry.paging_file", *k, v->name, v);
      f.set("entry", entry)
          .set("path", path)
          .set("drive", drive == '\0' ? std::string() : std::string(1, drive))
          .set("system_managed", drive == '?')
          .set("unusual_volume", drive != '?' && drive != system_drive_);
      f.evidence.front().data = entry;
      emit(std::move(f));
    }
  }

  const AuditInput& in_;
  AuditOutput& out_;
  facts::Baseline os_;
  facts::Baseline merged_;
  std::string system_root_ = "c:\\windows";
  char system_drive_ = 'c';
  const facts::ControlSet* cs_ = nullptr;
  bool current_ = false;
};

/// The control set Select\Current names; the lowest-numbered one when Select is missing or
/// points nowhere (it is the one a default install boots). nullptr only without control sets.
const facts::ControlSet* current_control_set(const facts::SystemHive& h) {
  for (const auto& c : h.control_sets) {
    if (h.select.current && c.number == *h.select.current) {
      return &c;
    }
  }
  return h.control_sets.empty() ? nullptr : &h.control_sets.front();
}

// ---- OS family ---------------------------------------------------------------------------------

/// Chooses the baseline family: SOFTWARE's build when given, else hints from the current control
/// set's KnownDLLs (entries Microsoft added or removed between releases).
void choose_family(const AuditInput& in, AuditOutput& out) {
  if (in.software != nullptr) {
    const auto& b =
        in.software->current_build ? in.software->current_build : in.software->current_build_number;
    if (b) {
      try {
        out.os_family = facts::os_family_for_build(static_cast<unsigned>(std::stoul(*b)));
        out.family_basis = "software:CurrentBuild=" + *b;
        return;
      } catch (const std::exception&) {
        // fall through to the SYSTEM hints
      }
    }
  }
  const facts::ControlSet* cs = current_control_set(*in.system);
  const RegKey* k = cs != nullptr ? cs->key(facts::kKnownDlls) : nullptr;
  if (k != nullptr && k->status == facts::KeyStatus::kPresent) {
    if (k->find("SHCORE") != nullptr || k->find("coml2") != nullptr) {
      out.os_family = "win10";
      out.family_basis = "system-hints:KnownDLLs has SHCORE/coml2";
      return;
    }
    if (k->find("combase") != nullptr) {
      out.os_family = "win81";
      out.family_basis = "system-hints:KnownDLLs has combase without SHCORE";
      return;
    }
    if (k->find("LPK") != nullptr || k->find("USP10") != nullptr) {
      out.os_family = "win7";
      out.family_basis = "system-hints:KnownDLLs has LPK/USP10 without combase";
      return;
    }
  }
  out.os_family = "generic";
  out.family_basis = "none";
}

const facts::Baseline* find_baseline(const std::vector<facts::Baseline>& all,
                                     const std::string& family) {
  for (const auto& b : all) {
    if (list_contains(b.families, family)) {
      return &b;
    }
  }
  for (const auto& b : all) {
    if (b.id == "generic") {
      return &b;
    }
  }
  return nullptr;
}

// ---- Facts about the hive and Select -----------------------------------------------------------

void hive_facts(const AuditInput& in, AuditOutput& out) {
  auto state = [&](const std::string& path,
                   const std::string& hive,
                   const facts::BaseBlock& b,
                   std::size_t logs,
                   const std::string& sha,
                   bool replayed) {
    Fact f;
    f.kind = "hive.state";
    f.set("path", path)
        .set("hive", hive)
        .set("dirty", b.dirty())
        .set("checksum_ok", b.checksum_ok())
        .set("primary_sequence", static_cast<std::int64_t>(b.primary_sequence))
        .set("secondary_sequence", static_cast<std::int64_t>(b.secondary_sequence))
        .set("logs_present", logs > 0)
        .set("log_count", static_cast<std::int64_t>(logs))
        .set("replayed", replayed);
    facts::EvidenceRef ev;
    ev.artifact = path;
    ev.sha256 = sha;
    ev.data = "sequence " + std::to_string(b.primary_sequence) + "/" +
              std::to_string(b.secondary_sequence) +
              (b.checksum_ok() ? ", checksum ok" : ", checksum BAD");
    f.evidence.push_back(std::move(ev));
    out.facts.push_back(std::move(f));
  };
  const auto& sys = *in.system;
  std::size_t usable_logs = 0;
  for (const auto& l : sys.logs) {
    usable_logs += l.size > 0 ? 1U : 0U;
  }
  state(sys.path,
        "SYSTEM",
        sys.base,
        usable_logs,
        in.system_sha256,
        sys.replay && sys.replay->performed);
  if (in.software != nullptr) {
    state(in.software->path, "SOFTWARE", in.software->base, 0, in.software_sha256, false);
  }

  const auto& sel = sys.select;
  Fact f;
  f.kind = "registry.select";
  auto num = [](const std::optional<std::uint32_t>& v) -> facts::FieldValue {
    return v ? facts::FieldValue(static_cast<std::int64_t>(*v)) : facts::FieldValue();
  };
  bool exists = sel.current &&
                std::any_of(sys.control_sets.begin(),
                            sys.control_sets.end(),
                            [&](const facts::ControlSet& c) { return c.number == *sel.current; });
  f.set("present", sel.key_present)
      .set("current", num(sel.current))
      .set("default", num(sel.default_set))
      .set("failed", num(sel.failed))
      .set("last_known_good", num(sel.last_known_good))
      .set("current_exists", exists)
      .set("last_written", filetime_to_iso8601(sel.last_written));
  facts::EvidenceRef ev;
  ev.artifact = sys.path;
  ev.sha256 = in.system_sha256;
  ev.key_path = "Select";
  ev.last_written = sel.last_written;
  auto show = [](const std::optional<std::uint32_t>& v) {
    return v ? std::to_string(*v) : std::string("absent");
  };
  ev.data = "Current=" + show(sel.current) + " Default=" + show(sel.default_set) +
            " Failed=" + show(sel.failed) + " LastKnownGood=" + show(sel.last_known_good);
  f.evidence.push_back(std::move(ev));
  out.facts.push_back(std::move(f));
}

// ---- Control-set divergence (registry.md 2) ---------------------------------------------------

std::string diff_category(std::string_view key, const std::string& value_lc) {
  if (key == facts::kAppCertDlls) {
    return "autostart";
  }
  if (key == facts::kKnownDlls) {
    return "dll_policy";
  }
  if (key == facts::kSubSystems) {
    return "subsystems";
  }
  if (key == facts::kEnvironment) {
    return "environment";
  }
  if (key == facts::kMemoryManagement) {
    return "memory";
  }
  if (key == facts::kSessionManager) {
    for (std::string_view slot : kExecuteSlots) {
      if (value_lc == text::to_lower(slot)) {
        return "autostart";
      }
    }
    if (value_lc == "excludefromknowndlls" || value_lc == "safedllsearchmode" ||
        value_lc == "cwdillegalindllsearch" || value_lc == "safeprocesssearchmode") {
      return "dll_policy";
    }
  }
  return "other";
}

/// A key's value as compared across control sets: type and data, or why it is missing.
std::string diff_render(const facts::ControlSet& c, std::string_view key, const std::string& lc) {
  const RegKey* k = c.key(key);
  if (k == nullptr || k->status != facts::KeyStatus::kPresent) {
    return "<key " + std::string(k == nullptr ? "absent" : facts::to_string(k->status)) + ">";
  }
  const RegValue* v = k->find(lc);
  return v == nullptr ? "<absent>" : facts::reg_type_name(v->type) + ":" + v->display();
}

/// Lower-cased name -> stored spelling of every value of `key` in any control set.
std::map<std::string, std::string> value_names_in_any_set(
    const std::vector<facts::ControlSet>& sets, std::string_view key) {
  std::map<std::string, std::string> names;
  for (const auto& c : sets) {
    if (const RegKey* k = c.key(key); k != nullptr && k->status == facts::KeyStatus::kPresent) {
      for (const auto& v : k->values) {
        names.emplace(text::to_lower(v.name), v.name);
      }
    }
  }
  return names;
}

/// One fact when the value differs between the current set and any other; evidence from every set.
void diff_value(const AuditInput& in,
                const facts::ControlSet& current,
                std::string_view key,
                const std::string& lc,
                const std::string& name,
                AuditOutput& out) {
  const auto& sets = in.system->control_sets;
  const std::string base = diff_render(current, key, lc);
  std::vector<std::string> per_set;
  std::vector<std::string> differing;
  for (const auto& c : sets) {
    std::string r = diff_render(c, key, lc);
    per_set.push_back(c.name + "=" + r);
    if (r != base) {
      differing.push_back(c.name);
    }
  }
  if (differing.empty()) {
    return;
  }
  Fact f;
  f.kind = "registry.control_set_diff";
  f.set("key", std::string(key))
      .set("value", name)
      .set("category", diff_category(key, lc))
      .set("sets", text::join(per_set, " ; "))
      .set("differing_sets", text::join(differing, ","))
      .set("current_set", current.name);
  for (const auto& c : sets) {
    const RegKey* k = c.key(key);
    const RegValue* v =
        (k != nullptr && k->status == facts::KeyStatus::kPresent) ? k->find(lc) : nullptr;
    facts::EvidenceRef ev;
    ev.artifact = in.system->path;
    ev.sha256 = in.system_sha256;
    ev.key_path = c.name + "\\" + std::string(key);
    ev.value_name = name;
    ev.value_type = v != nullptr ? facts::reg_type_name(v->type) : std::string();
    ev.data = diff_render(c, key, lc);
    ev.last_written = k != nullptr ? k->last_written : 0;
    f.evidence.push_back(std::move(ev));
  }
  out.facts.push_back(std::move(f));
}

/// Values that differ between the on-disk primary file and the replayed image, per control set
/// and audited key: what was written shortly before acquisition (issue 5). Volatile values
/// (PendingFileRenameOperations, ExistingPageFiles, ...) are reported with category "volatile"
/// so rules can treat routine churn apart.
bool is_volatile(const std::string& value_lc) {
  return std::find(std::begin(kVolatileValues), std::end(kVolatileValues), value_lc) !=
         std::end(kVolatileValues);
}

/// One value as it was on disk (`before`) and after log replay (`after`), both diff_render()ed.
struct ValueChange {
  std::string_view key;
  std::string lc;
  std::string name;
  std::string before;
  std::string after;
};

Fact replay_change_fact(const AuditInput& in,
                        const facts::ControlSet& cs,
                        bool current,
                        const ValueChange& c) {
  const RegKey* k = cs.key(c.key);
  const RegValue* v =
      (k != nullptr && k->status == facts::KeyStatus::kPresent) ? k->find(c.lc) : nullptr;
  std::string key_path = cs.name + "\\" + std::string(c.key);
  // diff_render() writes "<...>" for a missing key or value.
  std::string change = c.before.front() == '<'  ? "added"
                       : c.after.front() == '<' ? "removed"
                                                : "modified";
  Fact f;
  f.kind = "registry.replay_change";
  f.set("control_set", cs.name)
      .set("current", current)
      .set("key", key_path)
      .set("value", c.name)
      .set("data", v != nullptr ? v->display() : std::string())
      .set("last_written", filetime_to_iso8601(k != nullptr ? k->last_written : 0))
      .set("change", change)
      .set("on_disk", c.before)
      .set("replayed", c.after)
      .set("category", is_volatile(c.lc) ? std::string("volatile") : diff_category(c.key, c.lc));
  facts::EvidenceRef ev;
  ev.artifact = in.system->path;
  ev.sha256 = in.system_sha256;
  ev.key_path = key_path;
  ev.value_name = c.name;
  ev.value_type = v != nullptr ? facts::reg_type_name(v->type) : std::string();
  ev.data = "on disk: ";
  ev.data += c.before;
  ev.data += " ; after log replay: ";
  ev.data += c.after;
  ev.last_written = k != nullptr ? k->last_written : 0;
  f.evidence.push_back(std::move(ev));
  return f;
}

/// Values that differ between the on-disk primary file and the replayed image, per control set
/// and audited key: what was written shortly before acquisition (issue 5). Volatile values
/// (PendingFileRenameOperations, ExistingPageFiles, ...) get category "volatile" so rules can
/// treat routine churn apart.
void replay_changes(const AuditInput& in, AuditOutput& out) {
  const facts::SystemHive& replayed = *in.system;
  for (const auto& cs : replayed.control_sets) {
    facts::ControlSet stale;  // a control set the logs created is compared with an empty one
    stale.name = cs.name;
    for (const auto& c : in.on_disk->control_sets) {
      if (c.name == cs.name) {
        stale = c;
      }
    }
    bool current = replayed.select.current && *replayed.select.current == cs.number;
    std::vector<facts::ControlSet> both{stale, cs};
    for (std::string_view key : kDiffKeys) {
      for (const auto& [lc, name] : value_names_in_any_set(both, key)) {
        ValueChange c{key, lc, name, diff_render(stale, key, lc), diff_render(cs, key, lc)};
        if (c.before != c.after) {
          out.facts.push_back(replay_change_fact(in, cs, current, c));
        }
      }
    }
  }
}

void control_set_diffs(const AuditInput& in, AuditOutput& out) {
  const auto& sets = in.system->control_sets;
  if (sets.size() < 2) {
    return;
  }
  const facts::ControlSet& current = *current_control_set(*in.system);
  for (std::string_view key : kDiffKeys) {
    for (const auto& [lc, name] : value_names_in_any_set(sets, key)) {
      bool volatile_value = std::find(std::begin(kVolatileValues), std::end(kVolatileValues), lc) !=
                            std::end(kVolatileValues);
      if (!volatile_value) {
        diff_value(in, current, key, lc, name, out);
      }
    }
  }
}

// ---- Coverage ---------------------------------------------------------------------------------

/// The log entry the replay rejected as invalid (bad signature, size or hash), if any. Stale,
/// already-applied entries after the live ones are normal and do not count.
const facts::ReplayEntry* stopped_at_invalid_entry(const facts::ReplayReport& r) {
  for (const auto& e : r.entries) {
    if (!e.applied && e.reason.rfind("invalid entry", 0) == 0) {
      return &e;
    }
  }
  return nullptr;
}

/// The gap a dirty hive leaves, depending on what its log replay achieved (issue 5).
void dirty_hive_gap(const facts::SystemHive& sys, std::size_t usable_logs, AuditOutput& out) {
  std::string seq =
      std::to_string(sys.base.primary_sequence) + "/" + std::to_string(sys.base.secondary_sequence);
  const facts::ReplayReport* replay = sys.replay ? &*sys.replay : nullptr;
  if (replay != nullptr && replay->performed && replay->recovered && replay->sequence_gap) {
    // Windows applies such logs too, trusting that a partial reconcile already wrote the
    // missing entries into the primary (REGF companion note "Missing log entries for a dirty
    // primary file"); nothing here can verify that, so the state is not called complete.
    out.gaps.push_back({"hive.replay_sequence_gap",
                        sys.path + " is dirty (sequence " + seq +
                            "); its logs were replayed as Windows would, but they do not "
                            "continue the hive's sequence numbers: " +
                            replay->sequence_gap_note});
  } else if (replay != nullptr && replay->performed && replay->recovered &&
             stopped_at_invalid_entry(*replay) != nullptr) {
    // Windows also stops at the first invalid entry, but what that entry (or a later one)
    // carried is unknown: it may be exactly the last change made before acquisition.
    const facts::ReplayEntry* bad = stopped_at_invalid_entry(*replay);
    out.gaps.push_back({"hive.replay_stopped",
                        sys.path + " is dirty (sequence " + seq + "); log replay stopped at " +
                            bad->log + " offset " + std::to_string(bad->offset) + " (" +
                            bad->reason + "): later changes, if any, are not audited"});
  } else if (replay != nullptr && replay->performed && replay->recovered) {
    // The audited state is what Windows would load after applying its logs: no gap.
  } else if (replay != nullptr && replay->performed) {
    out.gaps.push_back({"hive.replay_incomplete",
                        sys.path + " is dirty (sequence " + seq +
                            "); its logs were replayed only in part: " + replay->summary});
  } else if (usable_logs == 0) {
    out.gaps.push_back({"hive.dirty_no_logs",
                        sys.path + " is dirty (sequence " + seq +
                            ") and no SYSTEM.LOG1/LOG2 were found: changes not yet flushed to "
                            "the primary file are invisible"});
  } else {
    std::string why = replay != nullptr && !replay->summary.empty() ? " (" + replay->summary + ")"
                                                                    : std::string();
    out.gaps.push_back({"hive.dirty_not_replayed",
                        sys.path + " is dirty (sequence " + seq + "); " +
                            std::to_string(usable_logs) +
                            " transaction log(s) found but nothing could be replayed" + why +
                            ": the audited state may be stale"});
  }
}

void coverage(const AuditInput& in, AuditOutput& out) {
  const auto& sys = *in.system;
  std::size_t usable_logs = 0;
  for (const auto& l : sys.logs) {
    usable_logs += l.size > 0 ? 1U : 0U;
  }
  if (sys.base.dirty()) {
    dirty_hive_gap(sys, usable_logs, out);
  }
  if (sys.control_sets.empty()) {
    out.gaps.push_back({"registry.no_control_sets", sys.path + " holds no ControlSetNNN key"});
  }
  for (const auto& cs : sys.control_sets) {
    for (const auto& k : cs.keys) {
      if (k.status == facts::KeyStatus::kUnreadable) {
        out.gaps.push_back(
            {"registry.key_unreadable",
             sys.path + ": " + cs.name + "\\" + k.path + " is unreadable (" + k.error + ")"});
      } else if (k.status == facts::KeyStatus::kPresent && !k.error.empty() &&
                 std::find(std::begin(kDiffKeys), std::end(kDiffKeys), k.path) !=
                     std::end(kDiffKeys)) {
        // Read, but not wholly: an audited value may be missing from what the rules saw.
        out.gaps.push_back({"registry.key_partial",
                            sys.path + ": " + cs.name + "\\" + k.path + " was read only in part (" +
                                k.error + ")"});
      } else if (k.status == facts::KeyStatus::kAbsent && k.path == facts::kSessionManager) {
        out.gaps.push_back({"registry.session_manager_absent",
                            sys.path + ": " + cs.name + "\\" + k.path + " does not exist"});
      }
    }
  }
}

}  // namespace

AuditOutput audit_session_manager(const AuditInput& in) {
  AuditOutput out;
  choose_family(in, out);
  static const std::vector<facts::Baseline> no_baselines;
  const auto& all = in.baselines != nullptr ? *in.baselines : no_baselines;
  const facts::Baseline* os = find_baseline(all, out.os_family);
  facts::Baseline os_baseline = os != nullptr ? *os : facts::Baseline{};
  if (os == nullptr) {
    os_baseline.id = "none";
  }
  facts::Baseline merged =
      in.site != nullptr ? facts::merge_baselines(os_baseline, *in.site) : os_baseline;
  out.baseline_id = merged.id;

  hive_facts(in, out);
  Auditor auditor(in, out, os_baseline, merged);
  for (const auto& cs : in.system->control_sets) {
    auditor.control_set(cs);
  }
  if (const facts::ControlSet* cs = current_control_set(*in.system)) {
    if (const RegKey* k = cs->key(facts::kComputerName)) {
      if (const RegValue* v = k->find("ComputerName")) {
        out.computer_name = v->first_string();
      }
    }
  }
  control_set_diffs(in, out);
  if (in.on_disk != nullptr) {
    replay_changes(in, out);
  }
  coverage(in, out);

  // Deterministic order for reports and golden tests.
  std::vector<std::pair<std::string, std::size_t>> order;
  order.reserve(out.facts.size());
  for (std::size_t i = 0; i < out.facts.size(); ++i) {
    order.emplace_back(out.facts[i].kind + "\n" + out.facts[i].identity(), i);
  }
  std::stable_sort(order.begin(), order.end());
  std::vector<Fact> sorted;
  sorted.reserve(order.size());
  for (const auto& [key, i] : order) {
    sorted.push_back(std::move(out.facts[i]));
  }
  out.facts = std::move(sorted);
  return out;
}

}  // namespace smssaudit::analysis
