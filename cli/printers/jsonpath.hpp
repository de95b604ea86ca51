// kubectl's -o jsonpath templates, the part scripts use: text with {expressions}, where an
// expression is a path from the current object — .field, ['key'], [N], [-N], [*] — or a
// "quoted string" (\n, \t), or {range PATH}...{end} to repeat for each element. Several
// results of one path print space-separated; strings print bare, everything else as JSON.
//
//   {.items[*].id}    {range .items[*]}{.id}{"\t"}{.state}{"\n"}{end}    {.labels.run}
#pragma once

#include <string>

#include "hive/error.hpp"
#include "hive/sandbox/codec.hpp"

namespace hive::cli {

// Checks a template once, so a typo is a usage error before any call is made.
Result<void> check_jsonpath(const std::string& text);
Result<std::string> render_jsonpath(const std::string& text, const sandbox::Json& root);

// The values one path gives (for --sort-by): ".created_at", "{.labels.run}".
Result<std::vector<sandbox::Json>> select_jsonpath(const std::string& path,
                                                   const sandbox::Json& root);

}  // namespace hive::cli
