// The noisy neighbour: one sandbox does every hostile thing at once — CPU spin, memory to the
// OOM killer and back, forks to its pids limit, descriptors to EMFILE, /tmp to ENOSPC, and
// through its agent uploads past its limit, FIFO reads and slow streamed readers that vanish —
// while another sandbox's exec latency is sampled. Reports the victim's p50 under attack
// against idle (the aim: within 3x); fails only on errors: a victim exec that fails, or the
// hostile sandbox's agent lost (it must stay Running through all of it).
#include <atomic>
#include <cstdio>
#include <thread>

#include "bench.hpp"

using hive::bench::Clock;
using hive::bench::percentile;
using hive::sandbox::ExecRequest;
using hive::test::TestServer;

namespace hive::bench {
namespace {

// Each runs in the background of the hostile sandbox and starts itself again when it ends.
const char* const kHostileCommands[] = {
    // CPU: four spinners against the host's two cores.
    "for i in 1 2 3 4; do (while :; do :; done) & done; wait",
    // Memory: allocate until the OOM killer ends it, again and again.
    "while :; do python3 -c 'x = []\nwhile True: x.append(bytearray(16 << 20))' 2>/dev/null; "
    "done",
    // Processes: fork until the pids limit says no, then again.
    "while :; do sh -c 'while :; do sleep 5 & done' 2>/dev/null; sleep 0.2; done",
    // Descriptors: open until EMFILE and hold them.
    "python3 -c 'import time\nfs = []\ntry:\n    while True: fs.append(open(\"/dev/null\"))\n"
    "except OSError: pass\ntime.sleep(3600)'",
    // Disk: fill /tmp until ENOSPC, empty it, again.
    "while :; do dd if=/dev/zero of=/tmp/fill bs=1M 2>/dev/null; rm -f /tmp/fill; done",
};

// What a client makes the hostile sandbox's agent do, in a loop until `stop`.
void attack_through_agent(const TestServer& server, const std::string& id,
                          const std::atomic<bool>& stop, std::atomic<long>& calls) {
  auto client = server.client();
  const std::string big(64 << 20, 'x');
  ExecRequest fifo;
  fifo.argv = {"sh", "-c", "rm -f /workspace/f; mkfifo /workspace/f"};
  (void)client.exec(id, fifo);
  ExecRequest yes;
  yes.argv = {"yes"};
  while (!stop) {
    (void)client.write_file(id, "/dev/shm/up", big);  // past /dev/shm's size: refused
    (void)client.remove_file(id, "/dev/shm/up");
    (void)client.read_file(id, "/workspace/f");  // a FIFO: refused at once, never a hang
    long lines = 0;
    (void)client.exec_stream(id, yes, [&](const sandbox::ExecEvent&) { return ++lines < 200; });
    calls += 4;
  }
}

Micros sample_execs(sandbox::Client& client, const std::string& id, int n, long& errors) {
  ExecRequest request;
  request.argv = {"true"};
  return measure(n, [&] {
    auto result = client.exec(id, request);
    if (!result || result->exit_code != 0) ++errors;
  });
}

}  // namespace

bool hostile(TestServer& server, int seconds) {
  auto client = server.client();
  sandbox::SandboxSpec victim_spec, hostile_spec;
  hostile_spec.resources.memory = "256Mi";
  hostile_spec.resources.pids = 256;
  auto victim = client.spawn(victim_spec);
  auto noisy = client.spawn(hostile_spec);
  if (!victim || !noisy) {
    std::printf("hostile: spawn failed: %s\n",
                (!victim ? victim.error() : noisy.error()).message.c_str());
    return false;
  }
  long errors = 0;
  (void)sample_execs(client, victim->id, 20, errors);  // warm-up
  auto idle = sample_execs(client, victim->id, 200, errors);
  for (const char* command : kHostileCommands) {
    ExecRequest request;
    request.command = command;
    if (auto started = client.start_process(noisy->id, request); !started) ++errors;
  }
  std::atomic<bool> stop{false};
  std::atomic<long> agent_calls{0};
  std::thread attacker([&] { attack_through_agent(server, noisy->id, stop, agent_calls); });
  std::this_thread::sleep_for(std::chrono::seconds(2));  // let it reach its limits
  Micros attacked;
  const auto until = Clock::now() + std::chrono::seconds(seconds);
  while (Clock::now() < until) {
    auto some = sample_execs(client, victim->id, 20, errors);
    attacked.insert(attacked.end(), some.begin(), some.end());
  }
  stop = true;
  attacker.join();
  auto after = client.get(noisy->id);
  const bool survived = after && after->state == sandbox::State::Running;
  const std::string condition = after ? after->reason : after.error().message;
  (void)client.deprovision(noisy->id);
  (void)client.deprovision(victim->id);
  const double idle_p50 = percentile(idle, 0.5), attacked_p50 = percentile(attacked, 0.5);
  std::printf(
      "hostile: %ds beside a sandbox spinning, OOMing, forking, filling fds and /tmp, %ld agent "
      "calls at it\n"
      "      victim exec p50 %.2f ms idle -> %.2f ms under attack (%.1fx; aim <= 3x), p95 "
      "%.2f ms; %ld errors; the hostile sandbox %s%s%s\n",
      seconds, agent_calls.load(), idle_p50 / 1000, attacked_p50 / 1000, attacked_p50 / idle_p50,
      percentile(attacked, 0.95) / 1000, errors, survived ? "stayed Running" : "was LOST",
      condition.empty() ? "" : " ", condition.empty() ? "" : ("(" + condition + ")").c_str());
  return errors == 0 && survived;
}

}  // namespace hive::bench
