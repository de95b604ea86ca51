// "Did you mean this?": the names close to a mistyped verb or flag, as kubectl (cobra) offers
// them, so a typo gets the right word and a wrong word gets none.
#pragma once

#include <string>
#include <vector>

namespace hive::cli {

// Edits (insert, delete, substitute, swap two neighbours) from a to b.
std::size_t edit_distance(const std::string& a, const std::string& b);

// The candidates `typed` is probably a typo of, closest first: within one edit for a word of up
// to 4 letters and two for a longer one, or a prefix of at least 2 letters ("desc").
std::vector<std::string> suggestions(const std::string& typed,
                                     const std::vector<std::string>& candidates);

// "\nDid you mean this?\n\tspawn\n\n" (kubectl's lines, set off by blank lines), or "" with
// nothing to suggest.
std::string did_you_mean(const std::vector<std::string>& suggested);

}  // namespace hive::cli
