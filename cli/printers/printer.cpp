#include "printers/printer.hpp"

#include <algorithm>
#include <ctime>
#include <iomanip>

#include "hive/sandbox/codec.hpp"

namespace hive::cli {
namespace {

using sandbox::Sandbox;

std::vector<std::string> row(const Sandbox& sb, std::chrono::system_clock::time_point now) {
  std::string state = sandbox::to_string(sb.state);
  if (!sb.reason.empty()) state += " (" + sb.reason + ")";
  return {sb.id, sb.spec.name.empty() ? "-" : sb.spec.name, state, sb.spec.image,
          age(sb.created_at, now)};
}

void print_table(std::ostream& out, const std::vector<Sandbox>& sandboxes) {
  std::vector<std::vector<std::string>> rows{{"ID", "NAME", "STATE", "IMAGE", "AGE"}};
  auto now = std::chrono::system_clock::now();
  for (const auto& sb : sandboxes) rows.push_back(row(sb, now));
  std::vector<std::size_t> widths(rows.front().size(), 0);
  for (const auto& r : rows) {
    for (std::size_t i = 0; i < r.size(); ++i) widths[i] = std::max(widths[i], r[i].size());
  }
  for (const auto& r : rows) {
    for (std::size_t i = 0; i < r.size(); ++i) {
      if (i + 1 < r.size()) {
        out << std::left << std::setw(static_cast<int>(widths[i] + 3)) << r[i];
      } else {
        out << r[i];
      }
    }
    out << "\n";
  }
}

}  // namespace

std::string age(const std::string& rfc3339, std::chrono::system_clock::time_point now) {
  std::tm tm{};
  if (rfc3339.size() < 19 || strptime(rfc3339.c_str(), "%Y-%m-%dT%H:%M:%S", &tm) == nullptr) {
    return "-";
  }
  auto then = std::chrono::system_clock::from_time_t(timegm(&tm));
  auto seconds =
      std::max<long long>(0, std::chrono::duration_cast<std::chrono::seconds>(now - then).count());
  if (seconds < 120) return std::to_string(seconds) + "s";
  if (seconds < 2 * 3600) return std::to_string(seconds / 60) + "m";
  if (seconds < 2 * 86400) return std::to_string(seconds / 3600) + "h";
  return std::to_string(seconds / 86400) + "d";
}

void print_sandboxes(std::ostream& out, OutputFormat format,
                     const std::vector<Sandbox>& sandboxes) {
  switch (format) {
    case OutputFormat::Json: {
      sandbox::Json items = sandbox::Json::array();
      for (const auto& sb : sandboxes) items.push_back(sandbox::to_json(sb));
      out << sandbox::Json{{"items", items}}.dump(2) << "\n";
      return;
    }
    case OutputFormat::Name:
      for (const auto& sb : sandboxes) out << sb.id << "\n";
      return;
    case OutputFormat::Table:
      print_table(out, sandboxes);
      return;
  }
}

void print_sandbox(std::ostream& out, OutputFormat format, const Sandbox& sandbox) {
  if (format == OutputFormat::Json) {
    out << sandbox::to_json(sandbox).dump(2) << "\n";
  } else {
    print_sandboxes(out, format, {sandbox});
  }
}

}  // namespace hive::cli
