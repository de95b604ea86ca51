#include "printers/jsonpath.hpp"

#include <cctype>

namespace hive::cli {
namespace {

using sandbox::Json;

struct Node {
  enum class Kind { Text, Path, Range, End } kind = Kind::Text;
  std::string text;  // Text: the literal; Path and Range: the path
};

Error bad(const std::string& text, const std::string& why) {
  return make_error(Errc::invalid_argument, "jsonpath '" + text + "': " + why);
}

std::string unescape(std::string_view quoted) {
  std::string out;
  for (std::size_t i = 0; i < quoted.size(); ++i) {
    if (quoted[i] == '\\' && i + 1 < quoted.size()) {
      char c = quoted[++i];
      out += c == 'n' ? '\n' : c == 't' ? '\t' : c == 'r' ? '\r' : c;
    } else {
      out += quoted[i];
    }
  }
  return out;
}

Result<std::vector<Node>> parse(const std::string& text) {
  std::vector<Node> nodes;
  std::size_t at = 0;
  while (at < text.size()) {
    auto open = text.find('{', at);
    if (open != at) {
      nodes.push_back({Node::Kind::Text, text.substr(at, open - at)});
      if (open == std::string::npos) break;
    }
    auto close = text.find('}', open);
    if (close == std::string::npos) return bad(text, "a '{' is not closed");
    std::string expr = text.substr(open + 1, close - open - 1);
    while (!expr.empty() && expr.front() == ' ') expr.erase(0, 1);
    while (!expr.empty() && expr.back() == ' ') expr.pop_back();
    if (expr.size() >= 2 && expr.front() == '"' && expr.back() == '"') {
      nodes.push_back(
          {Node::Kind::Text, unescape(std::string_view(expr).substr(1, expr.size() - 2))});
    } else if (expr.rfind("range ", 0) == 0) {
      nodes.push_back({Node::Kind::Range, expr.substr(6)});
    } else if (expr == "end") {
      nodes.push_back({Node::Kind::End, ""});
    } else if (!expr.empty() &&
               (expr.front() == '.' || expr.front() == '$' || expr.front() == '@')) {
      nodes.push_back({Node::Kind::Path, expr});
    } else {
      return bad(text, "cannot read '{" + expr + "}' (a path starts with '.')");
    }
    at = close + 1;
  }
  int depth = 0;
  for (const auto& node : nodes) {
    depth += node.kind == Node::Kind::Range ? 1 : node.kind == Node::Kind::End ? -1 : 0;
    if (depth < 0) return bad(text, "{end} without {range}");
  }
  if (depth != 0) return bad(text, "{range} without {end}");
  return nodes;
}

// One step of a path applied to every current value.
Result<std::vector<Json>> step(const std::vector<Json>& from, const std::string& path,
                               std::size_t& at) {
  std::vector<Json> out;
  if (path[at] == '.') {
    ++at;
    std::size_t end = at;
    while (end < path.size() && path[end] != '.' && path[end] != '[') ++end;
    const std::string key = path.substr(at, end - at);
    at = end;
    if (key.empty()) return from;  // "." alone: the value itself
    for (const auto& value : from) {
      if (key == "*" && (value.is_object() || value.is_array())) {
        for (const auto& item : value) out.push_back(item);
      } else if (value.is_object() && value.contains(key)) {
        out.push_back(value[key]);
      }
    }
    return out;
  }
  // '[': an index, [*], or a quoted key
  auto close = path.find(']', at);
  if (close == std::string::npos) return bad(path, "a '[' is not closed");
  std::string inside = path.substr(at + 1, close - at - 1);
  at = close + 1;
  if (inside.size() >= 2 && (inside.front() == '\'' || inside.front() == '"')) {
    const std::string key = inside.substr(1, inside.size() - 2);
    for (const auto& value : from) {
      if (value.is_object() && value.contains(key)) out.push_back(value[key]);
    }
    return out;
  }
  char* end = nullptr;
  const long wanted = std::strtol(inside.c_str(), &end, 10);
  if (inside != "*" && (inside.empty() || *end != '\0')) {
    return bad(path, "'[" + inside + "]' is not an index");
  }
  for (const auto& value : from) {
    if (inside == "*") {
      if (value.is_array() || value.is_object()) {
        for (const auto& item : value) out.push_back(item);
      }
      continue;
    }
    long index = wanted;
    if (!value.is_array()) continue;
    const long size = static_cast<long>(value.size());
    if (index < 0) index += size;
    if (index >= 0 && index < size) out.push_back(value[static_cast<std::size_t>(index)]);
  }
  return out;
}

Result<std::vector<Json>> evaluate(std::string path, const Json& current) {
  if (path.size() >= 2 && path.front() == '{' && path.back() == '}')
    path = path.substr(1, path.size() - 2);
  if (!path.empty() && (path.front() == '$' || path.front() == '@')) path.erase(0, 1);
  std::vector<Json> values{current};
  std::size_t at = 0;
  while (at < path.size()) {
    if (path[at] != '.' && path[at] != '[')
      return bad(path, "expected '.' or '[' at '" + path.substr(at) + "'");
    auto next = step(values, path, at);
    if (!next) return next.error();
    values = std::move(*next);
  }
  return values;
}

std::string show(const Json& value) {
  return value.is_string() ? value.get<std::string>() : sandbox::dump(value);
}

Result<void> render(const std::vector<Node>& nodes, std::size_t begin, std::size_t end,
                    const Json& current, std::string& out) {
  for (std::size_t i = begin; i < end; ++i) {
    const Node& node = nodes[i];
    if (node.kind == Node::Kind::Text) {
      out += node.text;
    } else if (node.kind == Node::Kind::Path) {
      auto values = evaluate(node.text, current);
      if (!values) return values.error();
      for (std::size_t v = 0; v < values->size(); ++v) out += (v ? " " : "") + show((*values)[v]);
    } else if (node.kind == Node::Kind::Range) {
      std::size_t close = i + 1;
      for (int depth = 1; depth > 0; ++close) {
        depth += nodes[close].kind == Node::Kind::Range ? 1
                 : nodes[close].kind == Node::Kind::End ? -1
                                                        : 0;
      }
      auto items = evaluate(node.text, current);
      if (!items) return items.error();
      for (const auto& item : *items) {
        if (auto r = render(nodes, i + 1, close - 1, item, out); !r) return r;
      }
      i = close - 1;
    }
  }
  return {};
}

}  // namespace

Result<void> check_jsonpath(const std::string& text) {
  auto nodes = parse(text);
  if (!nodes) return nodes.error();
  std::string ignored;
  return render(*nodes, 0, nodes->size(), Json::object(), ignored);  // paths checked too
}

Result<std::string> render_jsonpath(const std::string& text, const Json& root) {
  auto nodes = parse(text);
  if (!nodes) return nodes.error();
  std::string out;
  if (auto r = render(*nodes, 0, nodes->size(), root, out); !r) return r.error();
  return out;
}

Result<std::vector<Json>> select_jsonpath(const std::string& path, const Json& root) {
  return evaluate(path, root);
}

}  // namespace hive::cli
