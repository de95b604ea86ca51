#include "suggest.hpp"

#include <algorithm>

namespace hive::cli {

std::size_t edit_distance(const std::string& a, const std::string& b) {
  // Optimal string alignment: Levenshtein plus a swap of neighbours as one edit, since
  // "spwan" for "spawn" is one slip of the fingers, not two.
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

std::vector<std::string> suggestions(const std::string& typed,
                                     const std::vector<std::string>& candidates) {
  // Leading dashes say nothing about which flag was meant: "--staet" is one edit from
  // "--state", and "-x" must not be "close" to every two-letter flag.
  auto bare = [](const std::string& s) {
    return s.substr(std::min(s.find_first_not_of('-'), s.size()));
  };
  const std::string word = bare(typed);
  if (word.empty()) return {};
  const std::size_t limit = word.size() <= 4 ? 1 : 2;
  std::vector<std::pair<std::size_t, std::string>> close;
  for (const auto& candidate : candidates) {
    const std::string name = bare(candidate);
    if (name == word) continue;
    const std::size_t distance = edit_distance(word, name);
    const bool prefix = word.size() >= 2 && name.rfind(word, 0) == 0;
    if (distance <= limit || prefix) close.emplace_back(prefix ? 0 : distance, candidate);
  }
  std::stable_sort(close.begin(), close.end(),
                   [](const auto& x, const auto& y) { return x.first < y.first; });
  std::vector<std::string> out;
  for (auto& [distance, name] : close) {
    if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(std::move(name));
  }
  return out;
}

std::string did_you_mean(const std::vector<std::string>& suggested) {
  if (suggested.empty()) return "";
  std::string text = "\nDid you mean this?\n";
  for (const auto& name : suggested) text += "\t" + name + "\n";
  return text + "\n";
}

}  // namespace hive::cli
