# Embeds every file under rules/ (YAML rules, baselines, verdict thresholds) into the binary as raw
# string literals so the tool runs fully offline with its built-in catalogue.
#
# smssaudit_embed_rules(OUT_CPP RULES_DIR) generates OUT_CPP defining
#   smssaudit::rules::builtin_rule_files() -> std::span<const EmbeddedFile>
function(smssaudit_embed_rules out_cpp rules_dir)
  file(GLOB_RECURSE rule_files CONFIGURE_DEPENDS "${rules_dir}/*.yaml")
  list(SORT rule_files)
  # The file list itself is a dependency: adding or removing a rule re-runs the glob at build
  # time (CONFIGURE_DEPENDS), which rewrites this list only when it changed, which re-embeds.
  set(list_file ${out_cpp}.list)
  string(REPLACE ";" "\n" listing "${rule_files}")
  set(old_listing "")
  if(EXISTS ${list_file})
    file(READ ${list_file} old_listing)
  endif()
  if(NOT old_listing STREQUAL listing)
    file(WRITE ${list_file} "${listing}")
  endif()
  add_custom_command(
    OUTPUT ${out_cpp}
    COMMAND ${CMAKE_COMMAND} -DRULES_DIR=${rules_dir} -DOUT=${out_cpp}
            -P ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/EmbedRulesScript.cmake
    DEPENDS ${rule_files} ${list_file} ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/EmbedRulesScript.cmake
    COMMENT "Embedding rule catalogue from ${rules_dir}"
    VERBATIM)
endfunction()
