# Project-wide warning set (style.md convention 9). Applied per target through smssaudit_warnings so
# that third-party headers included as SYSTEM stay quiet.
add_library(smssaudit_warnings INTERFACE)
target_compile_options(smssaudit_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Wold-style-cast
  -Wnon-virtual-dtor)
if(SMSSAUDIT_WERROR)
  target_compile_options(smssaudit_warnings INTERFACE -Werror)
endif()
if(SMSSAUDIT_SANITIZE)
  target_compile_options(smssaudit_warnings INTERFACE -fsanitize=${SMSSAUDIT_SANITIZE}
                         -fno-sanitize-recover=all -fno-omit-frame-pointer)
  target_link_options(smssaudit_warnings INTERFACE -fsanitize=${SMSSAUDIT_SANITIZE})
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # GCC's manual: "sanitizers tend to increase the rate of false positive warnings, most notably
    # those around -Wmaybe-uninitialized" (here inside libstdc++'s <regex>). The normal build keeps
    # the warning, so nothing is lost.
    target_compile_options(smssaudit_warnings INTERFACE -Wno-maybe-uninitialized)
  endif()
endif()
