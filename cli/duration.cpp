#include "duration.hpp"

#include <cmath>
#include <cstdlib>
#include <type_traits>

namespace hive::cli {

Result<std::chrono::milliseconds> parse_duration(const std::string& text, const std::string& flag) {
  auto bad = [&] {
    return make_error(Errc::invalid_argument, (flag.empty() ? "" : flag + " ") + "'" + text +
                                                  "': expected a duration like 30s, 2m or 1h");
  };
  if (text.empty()) return bad();
  double total_ms = 0;
  const char* at = text.c_str();
  while (*at != '\0') {
    char* end = nullptr;
    const double value = std::strtod(at, &end);
    if (end == at || value < 0 || !std::isfinite(value)) return bad();
    std::string unit;
    for (at = end; *at != '\0' && std::isalpha(static_cast<unsigned char>(*at)) != 0; ++at) {
      unit += *at;
    }
    // A bare number is seconds, but only alone: "1m30" is more likely a slip than 1m30s.
    if (unit.empty() && (end != text.c_str() + text.size() || total_ms != 0)) return bad();
    const double scale = unit.empty() || unit == "s" ? 1000
                         : unit == "ms"              ? 1
                         : unit == "m"               ? 60'000
                         : unit == "h"               ? 3'600'000
                                                     : -1;
    if (scale < 0) return bad();
    total_ms += value * scale;
  }
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(total_ms)));
}

namespace {

template <typename Seconds>
CLI::Option* add_seconds(CLI::App& cmd, const std::string& name, Seconds& seconds,
                         const std::string& help) {
  const std::string flag = name.substr(name.rfind(',') + 1);
  return cmd
      .add_option_function<std::string>(
          name,
          [&seconds, flag](const std::string& text) {
            const auto parsed = parse_duration(text, flag);  // checked: it parses
            const auto ms = parsed ? parsed->count() : 0;
            // Whole seconds round up: "--ttl 500ms" must not become 0, the server's default.
            if constexpr (std::is_integral_v<Seconds>) {
              seconds = static_cast<Seconds>((ms + 999) / 1000);
            } else {
              seconds = static_cast<Seconds>(ms) / 1000;
            }
          },
          help)
      ->check([](const std::string& text) -> std::string {
        auto parsed = parse_duration(text, "");  // CLI11 puts the flag's name in front
        return parsed ? "" : parsed.error().message;
      })
      ->type_name("DURATION");
}

}  // namespace

CLI::Option* add_seconds_option(CLI::App& cmd, const std::string& name, std::int64_t& seconds,
                                const std::string& help) {
  return add_seconds(cmd, name, seconds, help);
}

CLI::Option* add_seconds_option(CLI::App& cmd, const std::string& name, double& seconds,
                                const std::string& help) {
  return add_seconds(cmd, name, seconds, help);
}

}  // namespace hive::cli
