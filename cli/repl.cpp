#include "repl.hpp"

#include <set>

namespace hive::cli {

Result<std::vector<std::string>> split_words(const std::string& line) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quote != 0) {
      if (c == quote) {
        quote = 0;
      } else if (c == '\\' && quote == '"' && i + 1 < line.size()) {
        word += line[++i];
      } else {
        word += c;
      }
    } else if (c == '\'' || c == '"') {
      quote = c;
      in_word = true;
    } else if (c == '\\' && i + 1 < line.size()) {
      word += line[++i];
      in_word = true;
    } else if (c == ' ' || c == '\t') {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
    } else {
      word += c;
      in_word = true;
    }
  }
  if (quote != 0) return make_error(Errc::invalid_argument, std::string("unclosed ") + quote);
  if (in_word) words.push_back(std::move(word));
  return words;
}

std::vector<std::string> repl_command(std::vector<std::string> words, const std::string& current) {
  if (words.empty() || current.empty()) return words;
  static const std::set<std::string> takes_id{"get",    "describe",  "ps",          "logs", "kill",
                                              "attach", "keepalive", "deprovision", "wait", "exec"};
  const std::string& verb = words[0];
  if (verb == "mcp" && words.size() >= 2 && (words[1] == "tools" || words[1] == "call")) {
    words.insert(words.begin() + 2, current);
  } else if (verb == "cp") {
    for (std::size_t i = 1; i < words.size(); ++i) {
      if (words[i].size() > 1 && words[i][0] == ':') words[i] = current + words[i];
    }
  } else if (takes_id.count(verb) != 0) {
    words.insert(words.begin() + 1, current);
  }
  return words;
}

}  // namespace hive::cli
