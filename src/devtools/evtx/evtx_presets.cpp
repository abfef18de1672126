// The preset table. Field order is exactly what Windows writes: readers map by Data Name, but the
// analyzer's positional fallbacks and libevtx's string API see positions (events.md §1.1, §2.1).
#include "evtx_presets.hpp"

#include <algorithm>

namespace smssaudit::devtools::evtx {

namespace {

constexpr std::string_view kSecurityProvider = "Microsoft-Windows-Security-Auditing";
constexpr std::string_view kSecurityGuid = "{54849625-5478-4994-A5BA-3E3B0328C30D}";
constexpr std::uint64_t kSecurityKeywords = 0x8020000000000000ULL;  // Audit Success
constexpr std::string_view kEventlogProvider = "Microsoft-Windows-Eventlog";
constexpr std::string_view kEventlogGuid = "{fc65ddd8-d6ef-4962-83d5-6e5cfe9ce148}";
constexpr std::string_view kEventlogNs =
    "http://manifests.microsoft.com/win/2004/08/windows/eventlog";
constexpr std::string_view kEventsNs = "http://schemas.microsoft.com/win/2004/08/events";
constexpr std::string_view kSysmonProvider = "Microsoft-Windows-Sysmon";
constexpr std::string_view kSysmonGuid = "{5770385F-C22A-43E0-BF4C-06F5698FFBD9}";
constexpr std::string_view kSysmonChannel = "Microsoft-Windows-Sysmon/Operational";
constexpr std::string_view kKernelGeneral = "Microsoft-Windows-Kernel-General";
constexpr std::string_view kKernelGeneralGuid = "{A68CA8B7-004F-D7B6-A698-07E2DE0F1F5D}";
constexpr std::string_view kLsmProvider = "Microsoft-Windows-TerminalServices-LocalSessionManager";
constexpr std::string_view kLsmGuid = "{5D896912-022D-40AA-A3A8-4FA5515C76D7}";
constexpr std::string_view kLsmChannel =
    "Microsoft-Windows-TerminalServices-LocalSessionManager/Operational";

FieldDef str(std::string name, std::string value = "") {
  return FieldDef{std::move(name), FieldType::kString, std::move(value), {}};
}

FieldDef typed(std::string name, FieldType type, std::string value) {
  return FieldDef{std::move(name), type, std::move(value), {}};
}

FieldDef null_of(std::string name, FieldType type) {
  return FieldDef{std::move(name), type, std::nullopt, {}};
}

std::vector<FieldDef> subject(const std::string& sid = "S-1-5-18",
                              const std::string& user = "-",
                              const std::string& domain = "-",
                              const std::string& logon = "0x3e7") {
  return {typed("SubjectUserSid", FieldType::kSid, sid),
          str("SubjectUserName", user),
          str("SubjectDomainName", domain),
          typed("SubjectLogonId", FieldType::kHexInt64, logon)};
}

std::vector<FieldDef> concat(std::vector<FieldDef> a, const std::vector<FieldDef>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

Preset security(std::string name,
                std::uint16_t id,
                std::uint8_t version,
                std::uint16_t task,
                std::vector<FieldDef> fields) {
  Preset p;
  p.name = std::move(name);
  p.provider = kSecurityProvider;
  p.provider_guid = kSecurityGuid;
  p.channel = "Security";
  p.event_id = id;
  p.version = version;
  p.task = task;
  p.keywords = kSecurityKeywords;
  p.process_id = 4;
  p.thread_id = 8;
  p.fields = std::move(fields);
  return p;
}

// Microsoft-Windows-Eventlog events carry a literal Provider and Channel and a UserData body.
Preset eventlog(std::string name,
                std::string channel,
                std::uint16_t id,
                std::uint16_t task,
                std::uint64_t keywords,
                std::string wrapper,
                std::vector<FieldDef> fields) {
  Preset p;
  p.name = std::move(name);
  p.layout = SystemLayout::kLiteral;
  p.provider = kEventlogProvider;
  p.provider_guid = kEventlogGuid;
  p.channel = std::move(channel);
  p.event_id = id;
  p.level = 4;
  p.task = task;
  p.keywords = keywords;
  p.process_id = 1552;
  p.thread_id = 3456;
  p.body = BodyKind::kUserData;
  p.wrapper = std::move(wrapper);
  if (!fields.empty())
    p.wrapper_attributes.emplace_back("xmlns:auto-ns3", kEventsNs);
  p.wrapper_attributes.emplace_back("xmlns", kEventlogNs);
  p.fields = std::move(fields);
  return p;
}

// Classic "EventLog" source: literal provider without GUID, Qualifiers 32768, unnamed <Data>.
Preset classic(std::string name,
               std::uint16_t id,
               std::uint8_t level,
               std::vector<std::string> strings) {
  Preset p;
  p.name = std::move(name);
  p.layout = SystemLayout::kLiteral;
  p.provider = "EventLog";
  p.channel = "System";
  p.event_id = id;
  p.qualifiers = 32768;
  p.level = level;
  p.keywords = 0x0080000000000000ULL;  // Classic
  p.body = BodyKind::kClassicData;
  // A StringArray default is Null when it has no items.
  p.fields = {FieldDef{"Strings", FieldType::kStringArray, std::nullopt, std::move(strings)},
              null_of("Binary", FieldType::kBinary)};
  return p;
}

Preset kernel_general(std::string name,
                      std::uint16_t id,
                      std::uint16_t task,
                      std::vector<FieldDef> fields) {
  Preset p;
  p.name = std::move(name);
  p.provider = kKernelGeneral;
  p.provider_guid = kKernelGeneralGuid;
  p.channel = "System";
  p.event_id = id;
  p.level = 4;
  p.task = task;
  p.keywords = 0x8000000000000080ULL;
  p.process_id = 4;
  p.thread_id = 8;
  p.fields = std::move(fields);
  return p;
}

Preset lsm(std::string name, std::uint16_t id, std::vector<FieldDef> fields) {
  Preset p;
  p.name = std::move(name);
  p.provider = kLsmProvider;
  p.provider_guid = kLsmGuid;
  p.channel = kLsmChannel;
  p.event_id = id;
  p.level = 4;
  p.keywords = 0x1000000000000000ULL;
  p.process_id = 392;
  p.thread_id = 412;
  p.user_sid = "S-1-5-18";
  p.body = BodyKind::kUserData;
  p.wrapper = "EventXML";
  p.wrapper_attributes.emplace_back("xmlns", "Event_NS");
  p.fields = std::move(fields);
  return p;
}

Preset sysmon(std::string name,
              std::uint16_t id,
              std::uint8_t version,
              std::vector<FieldDef> fields) {
  Preset p;
  p.name = std::move(name);
  p.provider = kSysmonProvider;
  p.provider_guid = kSysmonGuid;
  p.channel = kSysmonChannel;
  p.event_id = id;
  p.version = version;
  p.level = 4;
  p.task = id;
  p.keywords = 0x8000000000000000ULL;
  p.process_id = 2752;
  p.thread_id = 3576;
  p.user_sid = "S-1-5-18";
  p.fields = std::move(fields);
  return p;
}

std::vector<FieldDef> field_4688(int version) {
  std::vector<FieldDef> f = concat(subject(),
                                   {typed("NewProcessId", FieldType::kPointer, "0x0"),
                                    str("NewProcessName"),
                                    str("TokenElevationType", "%%1936"),
                                    typed("ProcessId", FieldType::kPointer, "0x4")});
  if (version >= 1)
    f.push_back(str("CommandLine"));
  if (version >= 2) {
    f = concat(f,
               {typed("TargetUserSid", FieldType::kSid, "S-1-0-0"),
                str("TargetUserName", "-"),
                str("TargetDomainName", "-"),
                typed("TargetLogonId", FieldType::kHexInt64, "0x0"),
                str("ParentProcessName"),
                typed("MandatoryLabel", FieldType::kSid, "S-1-16-16384")});
  }
  return f;
}

std::vector<FieldDef> fields_4624() {
  return concat(subject(),
                {typed("TargetUserSid", FieldType::kSid, "S-1-0-0"),
                 str("TargetUserName", "-"),
                 str("TargetDomainName", "-"),
                 typed("TargetLogonId", FieldType::kHexInt64, "0x0"),
                 typed("LogonType", FieldType::kUInt32, "0"),
                 str("LogonProcessName", "-"),
                 str("AuthenticationPackageName", "-"),
                 str("WorkstationName", "-"),
                 typed("LogonGuid", FieldType::kGuid, "{00000000-0000-0000-0000-000000000000}"),
                 str("TransmittedServices", "-"),
                 str("LmPackageName", "-"),
                 typed("KeyLength", FieldType::kUInt32, "0"),
                 typed("ProcessId", FieldType::kPointer, "0x0"),
                 str("ProcessName"),
                 str("IpAddress", "-"),
                 str("IpPort", "-"),
                 str("ImpersonationLevel", "%%1833"),
                 str("RestrictedAdminMode", "-"),
                 str("TargetOutboundUserName", "-"),
                 str("TargetOutboundDomainName", "-"),
                 str("VirtualAccount", "%%1843"),
                 typed("TargetLinkedLogonId", FieldType::kHexInt64, "0x0"),
                 str("ElevatedToken", "%%1842")});
}

// Sysmon event 1 layouts 1-A..1-D (events.md §2.1): fields are inserted, not appended.
std::vector<FieldDef> fields_sysmon1(char layout) {
  std::vector<FieldDef> f;
  if (layout != 'a')
    f.push_back(str("RuleName"));
  f = concat(f,
             {str("UtcTime", "${utc}"),
              typed("ProcessGuid", FieldType::kGuid, "${guid:ProcessId}"),
              typed("ProcessId", FieldType::kUInt32, "0"),
              str("Image")});
  if (layout != 'a')
    f = concat(f, {str("FileVersion"), str("Description"), str("Product"), str("Company")});
  if (layout == 'c' || layout == 'd')
    f.push_back(str("OriginalFileName"));
  f = concat(f,
             {str("CommandLine"),
              str("CurrentDirectory", "C:\\Windows\\system32\\"),
              str("User", "NT AUTHORITY\\SYSTEM"),
              typed("LogonGuid", FieldType::kGuid, "{B5A3F0C1-0000-0000-0000-0020E7030000}"),
              typed("LogonId", FieldType::kHexInt64, "0x3e7"),
              typed("TerminalSessionId", FieldType::kUInt32, "0"),
              str("IntegrityLevel", "System"),
              str("Hashes"),
              typed("ParentProcessGuid", FieldType::kGuid, "${guid:ParentProcessId}"),
              typed("ParentProcessId", FieldType::kUInt32, "0"),
              str("ParentImage"),
              str("ParentCommandLine")});
  if (layout == 'd')
    f.push_back(str("ParentUser", "NT AUTHORITY\\SYSTEM"));
  return f;
}

std::vector<FieldDef> fields_sysmon5(bool with_user) {
  std::vector<FieldDef> f = {str("RuleName"),
                             str("UtcTime", "${utc}"),
                             typed("ProcessGuid", FieldType::kGuid, "${guid:ProcessId}"),
                             typed("ProcessId", FieldType::kUInt32, "0"),
                             str("Image")};
  if (with_user)
    f.push_back(str("User", "NT AUTHORITY\\SYSTEM"));
  return f;
}

std::vector<FieldDef> session_fields(bool with_address) {
  std::vector<FieldDef> f = {str("User", "${computer}\\user"),
                             typed("SessionID", FieldType::kUInt32, "1")};
  if (with_address)
    f.push_back(str("Address", "LOCAL"));
  return f;
}

std::vector<Preset> build_presets() {
  std::vector<Preset> p;
  p.push_back(security("security_4688_v0", 4688, 0, 13312, field_4688(0)));
  p.push_back(security("security_4688_v1", 4688, 1, 13312, field_4688(1)));
  p.push_back(security("security_4688_v2", 4688, 2, 13312, field_4688(2)));
  p.push_back(security("security_4689",
                       4689,
                       0,
                       13313,
                       concat(subject(),
                              {typed("Status", FieldType::kHexInt32, "0x0"),
                               typed("ProcessId", FieldType::kPointer, "0x0"),
                               str("ProcessName")})));
  p.push_back(security("security_4624_v2", 4624, 2, 12544, fields_4624()));
  p.push_back(security("security_4608", 4608, 0, 12288, {}));
  p.push_back(security("security_4616_v1",
                       4616,
                       1,
                       12288,
                       concat(subject("S-1-5-19", "LOCAL SERVICE", "NT AUTHORITY", "0x3e5"),
                              {typed("PreviousTime", FieldType::kFiletime, "${time}"),
                               typed("NewTime", FieldType::kFiletime, "${time}"),
                               typed("ProcessId", FieldType::kPointer, "0x0"),
                               str("ProcessName", "C:\\Windows\\System32\\svchost.exe")})));
  p.push_back(eventlog(
      "security_1100", "Security", 1100, 103, 0x4020000000000000ULL, "ServiceShutdown", {}));
  p.push_back(eventlog("security_1102",
                       "Security",
                       1102,
                       104,
                       0x4020000000000000ULL,
                       "LogFileCleared",
                       subject("S-1-5-18", "SYSTEM", "NT AUTHORITY", "0x3e7")));
  p.push_back(eventlog("system_104",
                       "System",
                       104,
                       104,
                       0x8000000000000000ULL,
                       "LogFileCleared",
                       {str("SubjectUserName", "SYSTEM"),
                        str("SubjectDomainName", "NT AUTHORITY"),
                        str("Channel", "System"),
                        str("BackupPath")}));

  p.push_back(sysmon("sysmon_1_a", 1, 5, fields_sysmon1('a')));
  p.push_back(sysmon("sysmon_1_b", 1, 5, fields_sysmon1('b')));
  p.push_back(sysmon("sysmon_1_c", 1, 5, fields_sysmon1('c')));
  p.push_back(sysmon("sysmon_1_d", 1, 5, fields_sysmon1('d')));
  p.push_back(sysmon("sysmon_5_old", 5, 3, fields_sysmon5(false)));
  p.push_back(sysmon("sysmon_5_new", 5, 3, fields_sysmon5(true)));

  Preset start = kernel_general("system_12",
                                12,
                                1,
                                {typed("MajorVersion", FieldType::kUInt32, "10"),
                                 typed("MinorVersion", FieldType::kUInt32, "0"),
                                 typed("BuildVersion", FieldType::kUInt32, "19041"),
                                 typed("QfeVersion", FieldType::kUInt32, "1237"),
                                 typed("ServiceVersion", FieldType::kUInt16, "0"),
                                 typed("BootMode", FieldType::kUInt32, "0"),
                                 typed("StartTime", FieldType::kFiletime, "${time}")});
  start.user_sid = "S-1-5-18";
  p.push_back(start);
  p.push_back(
      kernel_general("system_13", 13, 2, {typed("StopTime", FieldType::kFiletime, "${time}")}));
  p.push_back(classic("system_6005", 6005, 4, {}));
  p.push_back(classic("system_6006", 6006, 4, {}));
  p.push_back(classic("system_6008", 6008, 2, {"8:00:00 AM", "3/1/2021", "", "", "0", "", ""}));
  p.push_back(classic("system_6009", 6009, 4, {"10.00.", "19041", "", "Multiprocessor Free", "0"}));

  p.push_back(lsm("lsm_21", 21, session_fields(true)));
  p.push_back(lsm("lsm_22", 22, session_fields(true)));
  p.push_back(lsm("lsm_23", 23, session_fields(false)));  // no Address (rathbunvm LSM file)
  p.push_back(lsm("lsm_24", 24, session_fields(true)));
  p.push_back(lsm("lsm_25", 25, session_fields(true)));
  p.push_back(lsm(
      "lsm_39",
      39,
      {typed("TargetSession", FieldType::kUInt32, "1"), typed("Source", FieldType::kUInt32, "1")}));
  p.push_back(
      lsm("lsm_40",
          40,
          {typed("Session", FieldType::kUInt32, "1"), typed("Reason", FieldType::kUInt32, "0")}));
  return p;
}

}  // namespace

const std::vector<Preset>& all_presets() {
  static const std::vector<Preset> presets = build_presets();
  return presets;
}

const Preset* find_preset(std::string_view name) {
  const auto& presets = all_presets();
  const auto it =
      std::find_if(presets.begin(), presets.end(), [&](const Preset& p) { return p.name == name; });
  return it == presets.end() ? nullptr : &*it;
}

}  // namespace smssaudit::devtools::evtx
