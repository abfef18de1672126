// Catalogue loading: built-in files, then a --rules overlay; every problem in every file is
// collected (hayabusa) so `smssaudit rules validate DIR` shows the whole list in one run.
#include "smssaudit/rules/catalog.hpp"

#include "parsers.hpp"
#include "smssaudit/core/error.hpp"
#include "smssaudit/core/text.hpp"
#include "smssaudit/evidence/evidence.hpp"
#include "smssaudit/rules/embedded.hpp"
#include "strict_yaml.hpp"

#include <boost/filesystem.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

namespace smssaudit::rules {
namespace {

namespace fs = boost::filesystem;
using detail::Problems;

// What one set of files (built-in or overlay) defines, before the sets are layered.
struct ParsedSet {
  std::map<std::string, Rule> rules;
  std::map<std::string, facts::Baseline> baselines;
  std::optional<VerdictConfig> verdict;
  std::string verdict_source;
};

enum class FileKind { kRule, kBaseline, kVerdict };

// Loads the single YAML document of a file, or reports why there is none.
std::optional<YAML::Node> load_document(const SourceFile& file, Problems& p) {
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(file.text);
  } catch (const YAML::ParserException& e) {
    p.at_line(e.mark.line + 1, fmt::format("YAML syntax error: {}", e.msg));
    return std::nullopt;
  } catch (const YAML::Exception& e) {
    p.at_line(e.mark.line + 1, fmt::format("YAML error: {}", e.msg));
    return std::nullopt;
  }
  // A stray "---" at the end of a file yields an empty document: it says nothing, so drop it
  // rather than call the file a multi-document one.
  docs.erase(
      std::remove_if(docs.begin(), docs.end(), [](const YAML::Node& d) { return d.IsNull(); }),
      docs.end());
  if (docs.empty()) {
    p.at_line(0,
              "empty file: expected a rule (id:), a baseline (baseline:) or verdict: thresholds");
    return std::nullopt;
  }
  if (docs.size() > 1) {
    // One rule per file keeps "adding a check touches one file" and file:line unambiguous.
    p.at(docs[1], "more than one YAML document; put one rule, baseline or verdict per file");
    return std::nullopt;
  }
  return docs.front();
}

// Line of a top-level key, for errors about the file as a whole (duplicates across files).
int top_key_line(const YAML::Node& root, std::string_view key) {
  for (const auto& kv : root) {
    if (kv.first.IsScalar() && kv.first.Scalar() == key) {
      return detail::line_of(kv.first);
    }
  }
  return detail::line_of(root);
}

// Tells the kind by content, as the file name carries no meaning.
std::optional<FileKind> kind_of(const YAML::Node& root, Problems& p) {
  if (!root.IsMap()) {
    p.at(root, "top level must be a mapping with id:, baseline: or verdict:");
    return std::nullopt;
  }
  std::vector<FileKind> kinds;
  for (const auto& kv : root) {
    if (!kv.first.IsScalar()) {
      continue;
    }
    const std::string key = kv.first.Scalar();
    if (key == "id") {
      kinds.push_back(FileKind::kRule);
    } else if (key == "baseline") {
      kinds.push_back(FileKind::kBaseline);
    } else if (key == "verdict") {
      kinds.push_back(FileKind::kVerdict);
    }
  }
  std::sort(kinds.begin(), kinds.end());
  kinds.erase(std::unique(kinds.begin(), kinds.end()), kinds.end());
  if (kinds.empty()) {
    p.at(root,
         "not a rule, baseline or verdict file: the top level needs id:, baseline: or verdict:");
    return std::nullopt;
  }
  if (kinds.size() > 1) {
    p.at(root, "ambiguous file: the top level has more than one of id:, baseline:, verdict:");
    return std::nullopt;
  }
  return kinds.front();
}

void parse_file(const SourceFile& file, ParsedSet& set, std::vector<std::string>& errors) {
  Problems p(file.path, errors);
  try {
    auto root = load_document(file, p);
    if (!root) {
      return;
    }
    auto kind = kind_of(*root, p);
    if (!kind) {
      return;
    }
    switch (*kind) {
      case FileKind::kRule: {
        auto rule = detail::parse_rule(*root, p);
        if (!rule) {
          return;
        }
        auto [it, inserted] = set.rules.try_emplace(rule->id, *rule);
        if (!inserted) {
          p.at_line(rule->line,
                    fmt::format("duplicate rule id '{}' (also defined at {}:{})",
                                rule->id,
                                it->second.source,
                                it->second.line));
        }
        return;
      }
      case FileKind::kBaseline: {
        auto baseline = detail::parse_baseline(*root, false, p);
        if (!baseline) {
          return;
        }
        auto [it, inserted] = set.baselines.try_emplace(baseline->id, *baseline);
        if (!inserted) {
          p.at_line(
              top_key_line(*root, "baseline"),
              fmt::format(
                  "duplicate baseline '{}' (also defined in {})", baseline->id, it->second.source));
        }
        return;
      }
      case FileKind::kVerdict: {
        auto verdict = detail::parse_verdict(*root, p);
        if (!verdict) {
          return;
        }
        if (set.verdict) {
          p.at_line(top_key_line(*root, "verdict"),
                    fmt::format("second verdict file (the first is {})", set.verdict_source));
          return;
        }
        set.verdict = *verdict;
        set.verdict_source = file.path;
        return;
      }
    }
  } catch (const YAML::Exception& e) {
    // The parsers only use non-throwing node accessors; this guards against a yaml-cpp corner we
    // did not foresee turning into an abort of the whole load.
    p.at_line(e.mark.line + 1, fmt::format("YAML error: {}", e.msg));
  }
}

ParsedSet parse_set(const std::vector<SourceFile>& files, std::vector<std::string>& errors) {
  ParsedSet set;
  for (const SourceFile& file : files) {
    parse_file(file, set, errors);
  }
  return set;
}

std::string read_whole_file(const fs::path& path) {
  std::ifstream in(path.string(), std::ios::binary);
  if (!in) {
    throw FatalError(2, fmt::format("cannot read rule file '{}'", path.string()));
  }
  std::ostringstream out;
  out << in.rdbuf();
  if (in.bad()) {
    throw FatalError(2, fmt::format("cannot read rule file '{}'", path.string()));
  }
  return out.str();
}

}  // namespace

const Rule* Catalog::find_rule(const std::string& id) const {
  auto it = std::lower_bound(
      rules.begin(), rules.end(), id, [](const Rule& r, const std::string& v) { return r.id < v; });
  return (it != rules.end() && it->id == id) ? &*it : nullptr;
}

CatalogLoad load_catalog(const std::vector<SourceFile>& base,
                         const std::vector<SourceFile>& overlay) {
  CatalogLoad load;
  ParsedSet layered = parse_set(base, load.errors);
  ParsedSet top = parse_set(overlay, load.errors);
  // Overlay semantics: same id replaces, new id adds (--rules DIR tunes the built-in set).
  for (auto& [id, rule] : top.rules) {
    layered.rules.insert_or_assign(id, std::move(rule));
  }
  for (auto& [id, baseline] : top.baselines) {
    layered.baselines.insert_or_assign(id, std::move(baseline));
  }
  if (top.verdict) {
    layered.verdict = top.verdict;
  }

  Catalog& c = load.catalog;
  for (auto& [id, rule] : layered.rules) {
    c.rules.push_back(std::move(rule));  // std::map iteration: already sorted by id
  }
  for (auto& [id, baseline] : layered.baselines) {
    c.baselines.push_back(std::move(baseline));
  }
  c.verdict = layered.verdict.value_or(VerdictConfig{});

  // The hash identifies the rule set a report was made with; the NULs keep "ab"+"c" and "a"+"bc"
  // apart.
  std::string hashed;
  for (const auto* set : {&base, &overlay}) {
    for (const SourceFile& f : *set) {
      hashed += f.path;
      hashed += '\0';
      hashed += f.text;
      hashed += '\0';
    }
  }
  c.sha256 = evidence::sha256_hex(hashed.data(), hashed.size());
  return load;
}

std::vector<SourceFile> builtin_sources() {
  std::vector<SourceFile> out;
  for (const EmbeddedFile& f : builtin_rule_files()) {
    out.push_back(SourceFile{std::string(f.path), std::string(f.text)});
  }
  return out;
}

std::vector<SourceFile> read_sources(const std::string& dir) {
  std::vector<fs::path> paths;
  try {
    if (!fs::is_directory(dir)) {
      throw FatalError(
          2, fmt::format("rules directory '{}' does not exist or is not a directory", dir));
    }
    for (fs::recursive_directory_iterator it(dir), end; it != end; ++it) {
      if (!fs::is_regular_file(it->status())) {
        continue;
      }
      const std::string ext = text::to_lower(it->path().extension().string());
      if (ext == ".yaml" || ext == ".yml") {
        paths.push_back(it->path());
      }
    }
  } catch (const fs::filesystem_error& e) {
    throw FatalError(2, fmt::format("cannot read rules directory '{}': {}", dir, e.what()));
  }
  // Sorted so that load order, error order and the rule-set hash do not depend on the file system.
  std::sort(paths.begin(), paths.end(), [](const fs::path& a, const fs::path& b) {
    return a.generic_string() < b.generic_string();
  });
  std::vector<SourceFile> out;
  out.reserve(paths.size());
  for (const fs::path& path : paths) {
    out.push_back(SourceFile{path.string(), read_whole_file(path)});
  }
  return out;
}

BaselineLoad load_site_baseline(const SourceFile& file) {
  BaselineLoad load;
  Problems p(file.path, load.errors);
  try {
    auto root = load_document(file, p);
    if (!root) {
      return load;
    }
    auto kind = kind_of(*root, p);
    if (!kind) {
      return load;
    }
    if (*kind != FileKind::kBaseline) {
      p.at(*root, "not a baseline file: a site baseline's top level needs baseline:");
      return load;
    }
    if (auto b = detail::parse_baseline(*root, true, p)) {
      load.baseline = std::move(*b);
    }
  } catch (const YAML::Exception& e) {
    p.at_line(e.mark.line + 1, fmt::format("YAML error: {}", e.msg));
  }
  return load;
}

std::vector<std::string> check_examples(const Catalog& catalog) {
  std::vector<std::string> failures;
  for (const Rule& rule : catalog.rules) {
    if (rule.match_examples.empty()) {
      failures.push_back(
          fmt::format("{}:{}: {} has no match example", rule.source, rule.line, rule.id));
    }
    if (rule.no_match_examples.empty()) {
      failures.push_back(
          fmt::format("{}:{}: {} has no no_match example", rule.source, rule.line, rule.id));
    }
    for (std::size_t i = 0; i < rule.match_examples.size(); ++i) {
      const Example& ex = rule.match_examples[i];
      if (!rule.matches(ex.fact)) {
        failures.push_back(fmt::format(
            "{}:{}: {} example {} (match) did not match", rule.source, ex.line, rule.id, i + 1));
      }
    }
    for (std::size_t i = 0; i < rule.no_match_examples.size(); ++i) {
      const Example& ex = rule.no_match_examples[i];
      if (rule.matches(ex.fact)) {
        failures.push_back(fmt::format(
            "{}:{}: {} example {} (no_match) matched", rule.source, ex.line, rule.id, i + 1));
      }
    }
  }
  return failures;
}

}  // namespace smssaudit::rules
