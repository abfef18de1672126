// smssaudit entry point: parse the command line, run, map errors to exit codes. Nothing else.
#include "smssaudit/app/cli.hpp"

int main(int argc, char** argv) {
  return smssaudit::app::run_cli(argc, argv);
}
