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
#include "commands/shared.hpp"
#include "duration.hpp"

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
  Targets targets;
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

Result<std::string> normalize_condition(const std::string& text) {
  auto lower = [](std::string word) {
    for (char& c : word) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return word;
  };
  if (lower(text) == "delete") return std::string("delete");
  if (lower(text).rfind("state=", 0) != 0) {
    return make_error(Errc::invalid_argument,
                      "--for '" + text + "': expected state=<State> or delete");
  }
  const std::string wanted = lower(text.substr(6));
  std::string names;
  for (auto state : sandbox::all_states()) {
    const std::string name = sandbox::to_string(state);
    if (lower(name) == wanted) return "state=" + name;
    names += (names.empty() ? "" : ", ") + name;
  }
  return make_error(Errc::invalid_argument,
                    "--for '" + text + "': no state \"" + text.substr(6) + "\"; one of " + names);
}

Result<void> await_condition(const WaitSource& source, const std::string& id,
                             const std::string& condition, WaitSignals& signals) {
  const std::atomic<bool>& stop = signals.stop;
  Clock::duration pause = kFirstPause;
  bool short_watch = false;  // the last watch ended soon after it began
  for (bool first = true; !stop; first = false) {
    auto sb = source.get(id);
    if (first && !sb && sb.error().code == Errc::not_found) {
      return make_error(Errc::not_found, "sandbox \"" + id + "\" not found");
    }
    if (first) signals.known = true;
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
                                 const std::string& condition, const WaitSignals& signals) {
  auto sb = inv.client().get(id);
  if (!signals.known && !sb && sb.error().code == Errc::not_found) {
    return make_error(Errc::not_found, "sandbox \"" + id + "\" not found");
  }
  auto met = judge(sb, id, condition);
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
      if (auto answer = look(inv, id, o.condition, waiter.signals)) return *answer;
    }
  }
  if (auto answer = look(inv, id, o.condition, waiter.signals)) return *answer;
  // As given, with its unit: "--timeout 1" is one second.
  const bool bare =
      !o.timeout.empty() && std::isdigit(static_cast<unsigned char>(o.timeout.back()));
  return make_error(Errc::timeout, "timed out after " + o.timeout + (bare ? "s" : "") +
                                       " waiting for " + id + " (" + o.condition + ")");
}

int run_wait(Invocation& inv, WaitOptions o) {
  if (auto usage = check_targets(inv, "wait", o.targets)) return *usage;
  auto condition = normalize_condition(o.condition);
  auto timeout = parse_duration(o.timeout, "--timeout");
  for (const Error* bad :
       {condition ? nullptr : &condition.error(), timeout ? nullptr : &timeout.error()}) {
    if (bad == nullptr) continue;
    inv.io.err << "hivectl wait: " << bad->message << "\nRun 'hivectl wait --help' for usage.\n";
    return kExitUsage;
  }
  o.condition = *condition;
  const auto deadline = Clock::now() + *timeout;
  auto ids = target_ids(inv, o.targets, Matching::Live);
  if (!ids) return inv.fail(ids.error());
  if (ids->empty()) {  // as kubectl wait -l: nothing to wait for is not success
    inv.io.err << "hivectl: no sandboxes match -l '" << o.targets.selector << "' (hivectl list -l '"
               << o.targets.selector << "' shows them)\n";
    return kExitError;
  }
  const bool show_progress = isatty(STDERR_FILENO) != 0 && &inv.io.err == &std::cerr;
  for (const auto& id : *ids) {
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
States: Pending, Pulling, Starting, Running, Terminating, Terminated, Failed (in any case).
--for=delete is met when the sandbox goes while waited for, or at once for one the reaper
ended (TTL, idle timeout) within hive-server's --tombstone-seconds (an hour by default): it
is still listed as Terminated. An id the server does not know is an error ("not found",
exit 1), not success, so that a typo does not pass for a deletion; that includes one
already deprovisioned, which is removed at once (deprovision returns only when it is gone,
so no wait is needed after it). -l waits for each sandbox it matches that has not ended
yet; none matching is an error.

Examples:
  hivectl wait sb-4k7q2m9x --for=state=Running
  hivectl wait rollout-1 rollout-2 --for=delete --timeout=2m
  hivectl wait -l run=42 --for=state=running --timeout=90s)");
  add_targets(*cmd, o->targets);
  cmd->add_option("--for", o->condition, "state=<State> or delete")
      ->type_name("CONDITION")
      ->required();
  cmd->add_option("--timeout", o->timeout, "how long to wait in all: 30s, 2m, 1h")
      ->type_name("DURATION")
      ->capture_default_str();
  cmd->callback([&inv, o] { inv.run = [&inv, o] { return run_wait(inv, *o); }; });
}

}  // namespace hive::cli
