// hivectl wait: block until sandboxes reach a state or are gone, for scripts.
#include <unistd.h>

#include <chrono>
#include <thread>

#include "app.hpp"

namespace hive::cli {
namespace {

using Clock = std::chrono::steady_clock;

struct WaitOptions {
  std::vector<std::string> ids;
  std::string condition;  // "state=Running" or "delete"
  std::string timeout = "30s";
};

// "30s", "2m", "1h" or plain seconds.
Result<std::chrono::milliseconds> parse_timeout(const std::string& text) {
  char* end = nullptr;
  double value = std::strtod(text.c_str(), &end);
  std::string unit(end ? end : "");
  double scale = unit.empty() || unit == "s" ? 1 : unit == "m" ? 60 : unit == "h" ? 3600 : -1;
  if (end == text.c_str() || scale < 0 || value < 0) {
    return make_error(Errc::invalid_argument,
                      "--timeout '" + text + "': expected a duration like 30s, 2m or 1h");
  }
  return std::chrono::milliseconds(static_cast<std::int64_t>(value * scale * 1000));
}

// Whether the sandbox has reached the condition; a sandbox that is gone has been deleted.
Result<bool> reached(sandbox::Client& client, const std::string& id, const std::string& condition) {
  auto sb = client.get(id);
  if (condition == "delete") {
    if (!sb && sb.error().code == Errc::not_found) return true;
    if (!sb) return sb.error();
    return sandbox::is_final(sb->state);
  }
  if (!sb) return sb.error();
  const std::string want = condition.substr(condition.find('=') + 1);
  if (sandbox::to_string(sb->state) == want) return true;
  if (sandbox::is_final(sb->state)) {
    return make_error(Errc::conflict, id + " ended (" + sandbox::to_string(sb->state) +
                                          (sb->reason.empty() ? "" : ", " + sb->reason) +
                                          ") and will never be " + want);
  }
  return false;
}

int run_wait(Invocation& inv, const WaitOptions& o) {
  if (o.condition != "delete" && o.condition.rfind("state=", 0) != 0) {
    inv.io.err << "hivectl wait: --for takes state=<State> or delete\n";
    return kExitUsage;
  }
  auto timeout = parse_timeout(o.timeout);
  if (!timeout) {
    inv.fail(timeout.error());
    return kExitUsage;
  }
  auto client = inv.client();
  const auto deadline = Clock::now() + *timeout;
  const bool show_progress = isatty(STDERR_FILENO) != 0 && &inv.io.err == &std::cerr;
  for (const auto& id : o.ids) {
    for (;;) {
      auto done = reached(client, id, o.condition);
      if (!done) return inv.fail(done.error());
      if (*done) break;
      if (Clock::now() >= deadline) {
        return inv.fail(make_error(Errc::timeout, "timed out after " + o.timeout + " waiting for " +
                                                      id + " (" + o.condition + ")"));
      }
      if (show_progress) inv.io.err << "\rwaiting for " << id << " (" << o.condition << ")…";
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (show_progress) inv.io.err << "\r\033[K";
    inv.io.out << id << " condition met\n";
  }
  return kExitOk;
}

}  // namespace

void add_wait(CLI::App& app, Invocation& inv) {
  auto o = std::make_shared<WaitOptions>();
  auto* cmd = app.add_subcommand("wait", "Wait until sandboxes reach a state or are gone");
  cmd->footer(R"(Exits 0 when every sandbox meets the condition, 1 on timeout or when it never can.

Examples:
  hivectl wait sb-4k7q2m9x --for=state=Running
  hivectl wait rollout-1 rollout-2 --for=delete --timeout=2m)");
  cmd->add_option("ID", o->ids, "sandbox ids or names")->required();
  cmd->add_option("--for", o->condition, "state=<State> or delete")->required();
  cmd->add_option("--timeout", o->timeout, "how long to wait: 30s, 2m, 1h")->capture_default_str();
  cmd->callback([&inv, o] { inv.run = [&inv, o] { return run_wait(inv, *o); }; });
}

}  // namespace hive::cli
