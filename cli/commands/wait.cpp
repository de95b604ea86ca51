// hivectl wait: block until sandboxes reach a state or are gone, for scripts. Driven by the
// watch stream (one get, then events), never by polling.
#include "commands/wait.hpp"

#include <unistd.h>

#include <algorithm>
#include <future>
#include <memory>
#include <optional>
#include <thread>

#include "app.hpp"

namespace hive::cli {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// After a watch that ended sooner than this after it began, the next one waits, twice as long
// each time up to the cap: a server that keeps closing it is not hammered.
constexpr auto kShortWatch = 1s;
constexpr std::chrono::milliseconds kFirstPause{250}, kMaxPause{2000};
// How long wait stays quiet on a terminal before it says what it waits for.
constexpr auto kQuiet = 100ms;
// How often run_wait looks at the waiting thread's signals (no request), and how long a new
// stream may go without showing the sandbox before one get checks it is still there.
constexpr auto kGlance = 250ms;
constexpr auto kUnseen = 1s;

struct WaitOptions {
  std::vector<std::string> ids;
  std::string condition;  // "state=Running" or "delete"
  std::string timeout = "30s";
};

// Whether the sandbox, as one get or event shows it, meets the condition; an Error when it
// never will. A sandbox that is gone has been deleted.
Result<bool> judge(const Result<sandbox::Sandbox>& sb, const std::string& id,
                   const std::string& condition) {
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

void pause_unless_stopped(Clock::duration pause, const std::atomic<bool>& stop) {
  for (auto until = Clock::now() + pause; !stop && Clock::now() < until;) {
    std::this_thread::sleep_for(std::min<Clock::duration>(50ms, until - Clock::now()));
  }
}

}  // namespace

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

Result<void> await_condition(const WaitSource& source, const std::string& id,
                             const std::string& condition, WaitSignals& signals) {
  const std::atomic<bool>& stop = signals.stop;
  Clock::duration pause = kFirstPause;
  bool short_watch = false;  // the last watch ended soon after it began
  while (!stop) {
    auto sb = source.get(id);
    auto met = judge(sb, id, condition);
    if (!met) return met.error();
    if (*met) return {};
    if (short_watch) {
      pause_unless_stopped(pause, stop);
      pause = std::min<Clock::duration>(pause * 2, kMaxPause);
    } else {
      pause = kFirstPause;
    }
    // Events name the sandbox by id, whatever `id` was. Its first event on a stream is the
    // ADDED of the stream's opening list, so a change between the get and the watch is seen.
    const std::string watched_id = sb->id;
    std::optional<Result<bool>> settled;
    bool deleted = false;
    const auto began = Clock::now();
    const std::uint64_t stream = ++signals.streams;
    auto watched = source.watch([&](const sandbox::WatchEvent& event) {
      if (stop) return false;
      if (event.sandbox.id != watched_id) return true;
      signals.seen_on = stream;
      if (event.type == "DELETED") {
        // Gone from the list: deleted; for a state, the next get says why it never will be.
        if (condition == "delete") settled = true;
        deleted = true;
        return false;
      }
      auto verdict = judge(event.sandbox, id, condition);
      if (verdict && !*verdict) return true;
      settled = std::move(verdict);
      return false;
    });
    if (settled) {
      if (!*settled) return settled->error();
      return {};
    }
    // A refusal (a bad token, say) stays one; a stream that broke or ended is looked at again.
    if (!watched && watched.error().code != Errc::transport) return watched.error();
    short_watch = !deleted && Clock::now() - began < kShortWatch;
  }
  return make_error(Errc::timeout, "stopped waiting for " + id + " (" + condition + ")");
}

namespace {

// What run_wait shares with the thread that waits for one sandbox.
struct Waiter {
  WaitSignals signals;
  std::promise<Result<void>> done;
};

WaitSource source_of(sandbox::Client client) {
  auto shared = std::make_shared<sandbox::Client>(std::move(client));
  return {.get = [shared](const std::string& id) { return shared->get(id); },
          .watch =
              [shared](const std::function<bool(const sandbox::WatchEvent&)>& on_event) {
                return shared->watch({}, on_event);
              }};
}

// One get, as the waiting thread's would be: met, an Error, or nullopt for not yet.
std::optional<Result<void>> look(Invocation& inv, const std::string& id,
                                 const std::string& condition) {
  auto met = judge(inv.client().get(id), id, condition);
  if (!met) return met.error();
  if (*met) return Result<void>{};
  return std::nullopt;
}

// Waits for the thread's answer until the deadline, then looks once more, as a poll would
// have just before it. A stream that has not shown the sandbox within kUnseen of opening gets
// one get too: its opening list is a snapshot, and a sandbox deleted between the thread's get
// and that snapshot would never be in it.
Result<void> await_deadline(Invocation& inv, const WaitOptions& o, const std::string& id,
                            Clock::time_point deadline, Waiter& waiter,
                            std::future<Result<void>>& finished) {
  std::uint64_t stream = 0, looked_on = 0;
  Clock::time_point opened;
  for (;;) {
    const auto wake = std::min(deadline, Clock::now() + kGlance);
    if (finished.wait_until(wake) == std::future_status::ready) return finished.get();
    const auto now = Clock::now();
    if (now >= deadline) break;
    if (auto current = waiter.signals.streams.load(); current != stream) {
      stream = current;
      opened = now;
    }
    if (stream != 0 && waiter.signals.seen_on != stream && looked_on != stream &&
        now - opened >= kUnseen) {
      looked_on = stream;
      if (auto answer = look(inv, id, o.condition)) return *answer;
    }
  }
  if (auto answer = look(inv, id, o.condition)) return *answer;
  return make_error(Errc::timeout, "timed out after " + o.timeout + " waiting for " + id + " (" +
                                       o.condition + ")");
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
  const auto deadline = Clock::now() + *timeout;
  const bool show_progress = isatty(STDERR_FILENO) != 0 && &inv.io.err == &std::cerr;
  for (const auto& id : o.ids) {
    // A silent watch blocks in libcurl and cannot be cancelled from here, so it runs on a
    // thread of its own, which owns everything it touches; when we are done it is told to stop
    // and left to end at its next event or with the connection (at exit, at the latest).
    auto waiter = std::make_shared<Waiter>();
    auto finished = waiter->done.get_future();
    std::thread([waiter, source = source_of(inv.client()), id, condition = o.condition] {
      waiter->done.set_value(await_condition(source, id, condition, waiter->signals));
    }).detach();
    if (show_progress && finished.wait_for(kQuiet) != std::future_status::ready) {
      inv.io.err << "\rwaiting for " << id << " (" << o.condition << ")…" << std::flush;
    }
    auto outcome = await_deadline(inv, o, id, deadline, *waiter, finished);
    waiter->signals.stop = true;
    if (show_progress) inv.io.err << "\r\033[K";
    if (!outcome) return inv.fail(outcome.error());
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
