#include "printers/printer.hpp"

#include "printers/jsonpath.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <ctime>
#include <iomanip>

#include <yaml-cpp/yaml.h>

#include "hive/sandbox/codec.hpp"

namespace hive::cli {
namespace {

using sandbox::Sandbox;

std::string labels_of(const Sandbox& sb) {
  std::string text;
  for (const auto& [key, value] : sb.spec.labels) {
    text += (text.empty() ? "" : ",") + key + "=" + value;
  }
  return text.empty() ? "<none>" : text;
}

std::string resources_of(const Sandbox& sb) {
  const auto& r = sb.spec.resources;
  std::string text;
  auto add = [&](const char* name, const std::string& value) {
    if (!value.empty()) text += (text.empty() ? "" : ",") + std::string(name) + "=" + value;
  };
  add("cpu", r.cpu);
  add("memory", r.memory);
  add("pids", r.pids > 0 ? std::to_string(r.pids) : "");
  add("disk", r.disk);
  return text.empty() ? "-" : text;
}

std::vector<std::string> header(const PrintOptions& options) {
  std::vector<std::string> names{"ID", "NAME", "STATE", "IMAGE", "AGE"};
  if (options.format == OutputFormat::Wide) {
    names.insert(names.end(), {"NETWORK", "RESOURCES", "EXPIRES"});
  }
  if (options.labels) names.emplace_back("LABELS");
  return names;
}

std::vector<std::string> row(const Sandbox& sb, const PrintOptions& options,
                             std::chrono::system_clock::time_point now) {
  std::string state = sandbox::to_string(sb.state);
  if (!sb.reason.empty()) state += " (" + sb.reason + ")";
  std::vector<std::string> cells{sb.id, sb.spec.name.empty() ? "-" : sb.spec.name, state,
                                 sb.spec.image, age(sb.created_at, now)};
  if (options.format == OutputFormat::Wide) {
    cells.insert(cells.end(),
                 {sandbox::to_string(sb.spec.network), resources_of(sb), sb.expires_at});
  }
  if (options.labels) cells.push_back(labels_of(sb));
  return cells;
}

// A string YAML would read back as something else (42, true, null, "") is quoted.
bool needs_quotes(const std::string& text) {
  if (text.empty()) return true;
  std::string lower;
  for (char c : text) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const char* word : {"true", "false", "yes", "no", "on", "off", "null", "~", "y", "n"}) {
    if (lower == word) return true;
  }
  char* end = nullptr;
  std::strtod(text.c_str(), &end);
  return end != text.c_str() && *end == '\0';
}

// JSON as YAML, keys in the JSON library's (sorted) order.
void emit_yaml(YAML::Emitter& yaml, const sandbox::Json& json) {
  switch (json.type()) {
    case sandbox::Json::value_t::object:
      yaml << YAML::BeginMap;
      for (const auto& [key, value] : json.items()) {
        yaml << YAML::Key << key << YAML::Value;
        emit_yaml(yaml, value);
      }
      yaml << YAML::EndMap;
      return;
    case sandbox::Json::value_t::array:
      yaml << YAML::BeginSeq;
      for (const auto& item : json) emit_yaml(yaml, item);
      yaml << YAML::EndSeq;
      return;
    case sandbox::Json::value_t::string: {
      const auto& text = json.get_ref<const std::string&>();
      if (needs_quotes(text)) yaml << YAML::DoubleQuoted;
      yaml << text;
      return;
    }
    case sandbox::Json::value_t::null:
      yaml << YAML::Null;
      return;
    default:
      yaml << sandbox::dump(json);  // numbers and booleans print the same in both
      return;
  }
}

// --sort-by: the items in the order of the path's first value on their JSON (stable; numbers
// as numbers, items without the field last).
template <typename T, typename ToJson>
std::vector<T> sorted(const std::vector<T>& items, const std::string& path, ToJson to_json) {
  if (path.empty()) return items;
  std::vector<std::pair<sandbox::Json, std::size_t>> keys;
  for (std::size_t i = 0; i < items.size(); ++i) {
    auto values = select_jsonpath(path, to_json(items[i]));
    keys.emplace_back(values && !values->empty() ? values->front() : sandbox::Json(), i);
  }
  std::stable_sort(keys.begin(), keys.end(), [](const auto& a, const auto& b) {
    if (a.first.is_null() || b.first.is_null()) return !a.first.is_null() && b.first.is_null();
    return a.first < b.first;
  });
  std::vector<T> out;
  for (const auto& key : keys) out.push_back(items[key.second]);
  return out;
}

sandbox::Json process_json(const sandbox::ProcessInfo& p) {
  sandbox::Json item{
      {"pid", p.pid}, {"command", p.command}, {"state", p.state}, {"started_at", p.started_at}};
  if (p.state == "exited") {
    item["exit_code"] = p.exit_code;
    item["signal"] = p.signal;
    item["duration_ms"] = p.duration_ms;
  }
  return item;
}

sandbox::Json tool_json(const sandbox::McpTool& tool) {
  sandbox::Json item{
      {"name", tool.name}, {"description", tool.description}, {"inputSchema", tool.input_schema}};
  if (!tool.title.empty()) item["title"] = tool.title;
  if (!tool.output_schema.is_null()) item["outputSchema"] = tool.output_schema;
  return item;
}

}  // namespace

void print_structured(std::ostream& out, const PrintOptions& options, const sandbox::Json& json) {
  if (options.format == OutputFormat::JsonPath) {
    auto text = render_jsonpath(options.jsonpath, json);  // checked when the flag was read
    out << (text ? *text : text.error().message);
    return;
  }
  if (options.format == OutputFormat::Json) {
    out << json.dump(2) << "\n";
    return;
  }
  YAML::Emitter yaml;
  emit_yaml(yaml, json);
  out << yaml.c_str() << "\n";
}

void print_event(std::ostream& out, const PrintOptions& options, const sandbox::Json& json) {
  if (options.format == OutputFormat::Json) {
    out << json.dump() << "\n";
    return;
  }
  if (options.format == OutputFormat::Yaml) out << "---\n";
  print_structured(out, options, json);
  if (options.format == OutputFormat::JsonPath) out << "\n";
}

void print_rows(std::ostream& out, const std::vector<std::vector<std::string>>& rows) {
  if (rows.empty()) return;
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

// Columns padded to their widest cell, three spaces apart; the last one unpadded.
namespace {

void print_table(std::ostream& out, const PrintOptions& options,
                 const std::vector<Sandbox>& sandboxes) {
  std::vector<std::vector<std::string>> rows;
  if (options.headers) rows.push_back(header(options));
  auto now = std::chrono::system_clock::now();
  for (const auto& sb : sandboxes) rows.push_back(row(sb, options, now));
  print_rows(out, rows);
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

void describe(std::ostream& out, const Sandbox& sb, std::chrono::system_clock::time_point now) {
  auto line = [&](const char* key, const std::string& value) {
    out << std::left << std::setw(14) << (std::string(key) + ":") << (value.empty() ? "-" : value)
        << "\n";
  };
  auto when = [&](const std::string& time) {
    return time.empty() ? std::string() : time + " (" + age(time, now) + " ago)";
  };
  std::string state = sandbox::to_string(sb.state);
  if (!sb.reason.empty()) state += " (" + sb.reason + ")";
  std::string env;
  for (const auto& [key, value] : sb.spec.env) env += (env.empty() ? "" : ",") + key + "=" + value;
  line("ID", sb.id);
  line("Name", sb.spec.name);
  line("State", state);
  line("Image", sb.spec.image);
  line("Runtime", sb.runtime);
  line("Network", sandbox::to_string(sb.spec.network));
  line("Resources", resources_of(sb) == "-" ? "no limits" : resources_of(sb));
  line("Labels", labels_of(sb));
  line("Env", env);
  line("Workdir", sb.spec.workdir);
  line("Created", when(sb.created_at));
  line("Ready", when(sb.ready_at));
  line("Last activity", when(sb.last_activity_at));
  line("Expires", sb.expires_at);
  line("TTL", std::to_string(sb.spec.ttl_seconds) + "s");
  line("Idle timeout", std::to_string(sb.spec.idle_timeout_seconds) + "s");
}

void print_sandboxes(std::ostream& out, const PrintOptions& options,
                     const std::vector<Sandbox>& unsorted) {
  const auto sandboxes =
      sorted(unsorted, options.sort_by, [](const Sandbox& sb) { return sandbox::to_json(sb); });
  if (options.structured()) {
    sandbox::Json items = sandbox::Json::array();
    for (const auto& sb : sandboxes) items.push_back(sandbox::to_json(sb));
    print_structured(out, options, sandbox::Json{{"items", items}});
  } else if (options.format == OutputFormat::Name) {
    for (const auto& sb : sandboxes) out << sb.id << "\n";
  } else {
    print_table(out, options, sandboxes);
  }
}

void print_sandbox(std::ostream& out, const PrintOptions& options, const Sandbox& sandbox) {
  if (options.structured()) {
    print_structured(out, options, sandbox::to_json(sandbox));
  } else {
    print_sandboxes(out, options, {sandbox});
  }
}

void print_processes(std::ostream& out, const PrintOptions& options,
                     const std::vector<sandbox::ProcessInfo>& unsorted) {
  const auto processes = sorted(unsorted, options.sort_by, process_json);
  if (options.structured()) {
    sandbox::Json items = sandbox::Json::array();
    for (const auto& p : processes) items.push_back(process_json(p));
    print_structured(out, options, sandbox::Json{{"items", items}});
    return;
  }
  if (options.format == OutputFormat::Name) {
    for (const auto& p : processes) out << p.pid << "\n";
    return;
  }
  std::vector<std::vector<std::string>> rows;
  if (options.headers) rows.push_back({"PID", "STATE", "EXIT", "STARTED", "COMMAND"});
  const auto now = std::chrono::system_clock::now();
  for (const auto& p : processes) {
    auto started = std::chrono::system_clock::time_point(std::chrono::seconds(p.started_at));
    auto seconds = std::chrono::duration_cast<std::chrono::seconds>(now - started).count();
    rows.push_back({std::to_string(p.pid), p.state,
                    p.state == "exited" ? std::to_string(p.exit_code) : "",
                    std::to_string(std::max<long long>(seconds, 0)) + "s ago", p.command});
  }
  print_rows(out, rows);
}

}  // namespace hive::cli

namespace hive::cli {

void print_mcp_tools(std::ostream& out, const PrintOptions& options,
                     const std::vector<sandbox::McpTool>& unsorted) {
  const auto tools = sorted(unsorted, options.sort_by, tool_json);
  if (options.structured()) {
    sandbox::Json items = sandbox::Json::array();
    for (const auto& tool : tools) items.push_back(tool_json(tool));
    print_structured(out, options, sandbox::Json{{"items", items}});
    return;
  }
  if (options.format == OutputFormat::Name) {
    for (const auto& tool : tools) out << tool.name << "\n";
    return;
  }
  constexpr std::size_t kDescriptionWidth = 72;
  std::vector<std::vector<std::string>> rows;
  if (options.headers) rows.push_back({"NAME", "DESCRIPTION"});
  for (const auto& tool : tools) {
    std::string line = tool.description.substr(0, tool.description.find('\n'));
    if (options.format != OutputFormat::Wide && line.size() > kDescriptionWidth) {
      line = line.substr(0, kDescriptionWidth - 3) + "...";
    }
    rows.push_back({tool.name, line});
  }
  print_rows(out, rows);
}

}  // namespace hive::cli
