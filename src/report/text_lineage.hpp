// Text rendering of the smss lineage (private to src/report).
#pragma once

#include "smssaudit/facts/lineage.hpp"

#include <string>
#include <vector>

namespace smssaudit::report::detail {

/// Lines (no colour, evidence strings made printable) for the "Lineage" section: event-log
/// coverage, then one tree per boot (master smss, what it started, each session smss with its
/// session, lifetime and children).
std::vector<std::string> lineage_text(const facts::Lineage& lineage);

}  // namespace smssaudit::report::detail
