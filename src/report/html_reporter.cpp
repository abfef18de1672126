// PLACEHOLDER — being replaced by the HTML reporter (issue 6). Not to be committed as is.
#include "smssaudit/report/report.hpp"

#include <ostream>

namespace smssaudit::report {

void write_html(const Report& report, std::ostream& out) {
  static_cast<void>(report);
  out << "<!doctype html><title>smssaudit</title>\n";
}

}  // namespace smssaudit::report
