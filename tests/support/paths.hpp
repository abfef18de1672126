// Paths the tests use: sources, generated fixtures, the shared corpus, built binaries.
#pragma once

#include <string>

namespace smssaudit::testing {

inline std::string source_path(const std::string& rel) {
  return std::string(SMSSAUDIT_SOURCE_DIR) + "/" + rel;
}

/// A generated fixture: fixture_hive("system_clean_win10") ->
/// <build>/fixtures/hives/system_clean_win10
inline std::string fixture_dir(const std::string& name) {
  return std::string(SMSSAUDIT_FIXTURE_OUT) + "/hives/" + name;
}

/// A generated event-log fixture folder: evtx_fixture_dir("boot_clean_win10") ->
/// <build>/fixtures/evtx/boot_clean_win10
inline std::string evtx_fixture_dir(const std::string& name) {
  return std::string(SMSSAUDIT_FIXTURE_OUT) + "/evtx/" + name;
}

inline std::string corpus_path(const std::string& rel) {
  return std::string(SMSSAUDIT_CORPUS_DIR) + "/" + rel;
}

inline std::string smssaudit_bin() {
  return SMSSAUDIT_BIN;
}

inline std::string mkhive_bin() {
  return SMSSAUDIT_MKHIVE;
}

inline std::string mkevtx_bin() {
  return SMSSAUDIT_MKEVTX;
}

inline std::string python_bin() {
  return SMSSAUDIT_PYTHON;
}

}  // namespace smssaudit::testing
