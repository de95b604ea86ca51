#include "hive/sandbox/selector.hpp"

#include <algorithm>

#include "hive/sandbox/codec.hpp"

namespace hive::sandbox {
namespace {

using Op = Requirement::Op;

Error invalid(std::string_view term, const std::string& why) {
  return make_error(Errc::invalid_argument, "selector term '" + std::string(term) + "': " + why);
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  return text;
}

// Splits on commas outside parentheses: "a in (x,y),b" -> "a in (x,y)", "b".
Result<std::vector<std::string_view>> split_terms(std::string_view text) {
  std::vector<std::string_view> terms;
  int depth = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    char c = i < text.size() ? text[i] : ',';
    if (c == '(') ++depth;
    if (c == ')' && --depth < 0) return invalid(text, "unbalanced ')'");
    if (c == ',' && depth == 0) {
      terms.push_back(trim(text.substr(start, i - start)));
      start = i + 1;
    }
  }
  if (depth != 0) return invalid(text, "unbalanced '('");
  return terms;
}

Result<void> check_key(std::string_view term, std::string_view key) {
  if (key.empty()) return invalid(term, "missing label key");
  if (auto r = validate_label_key(key); !r) return invalid(term, r.error().message);
  return {};
}

// "key in (a, b)" or "key notin (a,b)".
Result<Requirement> parse_set(std::string_view term, std::size_t space) {
  Requirement req;
  req.key = std::string(trim(term.substr(0, space)));
  std::string_view rest = trim(term.substr(space));
  if (rest.rfind("notin", 0) == 0) {
    req.op = Op::NotIn;
    rest = trim(rest.substr(5));
  } else if (rest.rfind("in", 0) == 0) {
    req.op = Op::In;
    rest = trim(rest.substr(2));
  } else {
    return invalid(term, "expected 'in (...)' or 'notin (...)' after the key");
  }
  if (rest.size() < 2 || rest.front() != '(' || rest.back() != ')') {
    return invalid(term, "the values of 'in'/'notin' go in parentheses: key in (a,b)");
  }
  std::string_view list = rest.substr(1, rest.size() - 2);
  for (std::size_t start = 0; start <= list.size();) {
    auto comma = list.find(',', start);
    if (comma == std::string_view::npos) comma = list.size();
    req.values.emplace_back(trim(list.substr(start, comma - start)));
    start = comma + 1;
  }
  if (auto r = check_key(term, req.key); !r) return r.error();
  for (const auto& value : req.values) {
    if (auto r = validate_label_value(req.key, value); !r) return invalid(term, r.error().message);
  }
  return req;
}

Result<Requirement> parse_term(std::string_view term) {
  if (term.empty()) return invalid(term, "empty term (two commas in a row?)");
  Requirement req;
  if (term.front() == '!') {
    req.op = Op::NotExists;
    req.key = std::string(trim(term.substr(1)));
  } else if (auto space = term.find(' ');
             space != std::string_view::npos && term.find('=') == std::string_view::npos) {
    return parse_set(term, space);
  } else if (auto ne = term.find("!="); ne != std::string_view::npos) {
    req.op = Op::NotEquals;
    req.key = std::string(trim(term.substr(0, ne)));
    req.values.emplace_back(trim(term.substr(ne + 2)));
  } else if (auto eq = term.find('='); eq != std::string_view::npos) {
    req.op = Op::Equals;
    std::size_t skip = term.compare(eq, 2, "==") == 0 ? 2 : 1;
    req.key = std::string(trim(term.substr(0, eq)));
    req.values.emplace_back(trim(term.substr(eq + skip)));
  } else {
    req.key = std::string(term);
  }
  if (auto r = check_key(term, req.key); !r) return r.error();
  for (const auto& value : req.values) {
    if (auto r = validate_label_value(req.key, value); !r) return invalid(term, r.error().message);
  }
  return req;
}

}  // namespace

bool Selector::matches(const std::map<std::string, std::string>& labels) const {
  return std::all_of(requirements.begin(), requirements.end(), [&](const Requirement& req) {
    auto it = labels.find(req.key);
    bool has = it != labels.end();
    auto listed = [&] {
      return has && std::find(req.values.begin(), req.values.end(), it->second) != req.values.end();
    };
    switch (req.op) {
      case Op::Exists:
        return has;
      case Op::NotExists:
        return !has;
      case Op::Equals:
      case Op::In:
        return listed();
      case Op::NotEquals:
      case Op::NotIn:
        return !listed();  // kubectl: a missing key satisfies != and notin
    }
    return false;
  });
}

Result<Selector> parse_selector(std::string_view text) {
  Selector selector;
  if (trim(text).empty()) return selector;
  auto terms = split_terms(text);
  if (!terms) return terms.error();
  for (auto term : *terms) {
    auto req = parse_term(term);
    if (!req) return req.error();
    selector.requirements.push_back(std::move(*req));
  }
  return selector;
}

}  // namespace hive::sandbox
