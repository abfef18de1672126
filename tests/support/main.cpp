// Catch2 v2 entry point. The test binary reads disk images through smssaudit-imaged, which the
// library finds beside the running executable; tests do not run beside it, so they name it.
#define CATCH_CONFIG_RUNNER
#include "support/catch.hpp"

#include <cstdlib>

int main(int argc, char* argv[]) {
  ::setenv("SMSSAUDIT_IMAGED", SMSSAUDIT_IMAGED_BIN, /*overwrite=*/0);
  return Catch::Session().run(argc, argv);
}
