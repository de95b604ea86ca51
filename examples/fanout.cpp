// An RL trainer's step in miniature: fan out N rollouts over a pool of threads, each in a
// sandbox of its own (spawn, run the "episode", read its reward, deprovision), and report
// rewards, failures and the wall time. One libsandbox Client per thread (they are cheap).
//
//   build/bin/hive-fanout [--rollouts 100] [--parallel 16]     (--help: what it does)
//
// Reads HIVE_SERVER and HIVE_TOKEN like hivectl.
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "hive/sandbox/client.hpp"

namespace {

struct Outcome {
  int rollout = 0;
  long reward = 0;
  std::string error;  // empty when the rollout ran
};

// One rollout: the "episode" is a shell computation seeded by the rollout's number.
Outcome rollout(hive::sandbox::Client& client, int n) {
  Outcome outcome{n, 0, ""};
  hive::sandbox::SandboxSpec spec;
  spec.labels = {{"job", "fanout"}, {"rollout", std::to_string(n)}};
  spec.ttl_seconds = 300;  // a trainer that dies leaks nothing for long
  auto sandbox = client.spawn(spec);
  if (!sandbox) {
    outcome.error = "spawn: " + sandbox.error().message;
    return outcome;
  }
  hive::sandbox::ExecRequest episode;
  episode.command =
      "i=0; s=" + std::to_string(n) +
      "; while [ $i -lt 50 ]; do s=$(( (s * 31 + i) % 1000 )); i=$((i + 1)); done; echo $s";
  auto result = client.exec(sandbox->id, episode);
  if (!result) {
    outcome.error = "exec: " + result.error().message;
  } else if (result->exit_code != 0) {
    outcome.error =
        "episode exited " + std::to_string(result->exit_code) + ": " + result->stderr_data;
  } else {
    outcome.reward = std::atol(result->stdout_data.c_str());
  }
  if (auto gone = client.deprovision(sandbox->id); !gone && outcome.error.empty()) {
    outcome.error = "deprovision: " + gone.error().message;
  }
  return outcome;
}

constexpr const char* kUsage = R"(Usage: hive-fanout [--rollouts N] [--parallel N]

Fans out N rollouts (default 100) over a pool of threads (default 16), each in a sandbox of
its own: spawn, run the episode, read its reward, deprovision. Prints the rewards' mean, the
failures and the wall time; exits 1 if any rollout failed. Reads HIVE_SERVER and HIVE_TOKEN.
)";

// A flag's value: a whole number from 1 to 100000, or nullopt.
std::optional<int> count_of(const char* text) {
  char* end = nullptr;
  const long value = std::strtol(text, &end, 10);
  if (end == text || *end != '\0' || value < 1 || value > 100000) return std::nullopt;
  return static_cast<int>(value);
}

}  // namespace

int main(int argc, char** argv) {
  int rollouts = 100, parallel = 16;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "-h" || flag == "--help") {
      std::cout << kUsage;
      return 0;
    }
    int* target = flag == "--rollouts" ? &rollouts : flag == "--parallel" ? &parallel : nullptr;
    const auto value = target != nullptr && i + 1 < argc ? count_of(argv[++i]) : std::nullopt;
    if (!value) {
      std::cerr << "hive-fanout: " << (target == nullptr ? "unknown flag " : "bad value for ")
                << "'" << flag << "'\n"
                << kUsage;
      return 2;
    }
    *target = *value;
  }
  hive::sandbox::ClientOptions options;
  if (const char* server = std::getenv("HIVE_SERVER")) options.server = server;
  if (const char* token = std::getenv("HIVE_TOKEN")) options.token = token;

  const auto started = std::chrono::steady_clock::now();
  std::atomic<int> next{0};
  std::mutex lock;
  std::vector<Outcome> outcomes;
  std::vector<std::thread> workers;
  for (int w = 0; w < parallel; ++w) {
    workers.emplace_back([&] {
      hive::sandbox::Client client(options);
      for (int n; (n = next.fetch_add(1)) < rollouts;) {
        Outcome outcome = rollout(client, n);
        std::lock_guard<std::mutex> hold(lock);
        outcomes.push_back(std::move(outcome));
      }
    });
  }
  for (auto& worker : workers) worker.join();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  int failed = 0;
  long total = 0;
  for (const auto& outcome : outcomes) {
    if (!outcome.error.empty()) {
      ++failed;
      std::cerr << "rollout " << outcome.rollout << ": " << outcome.error << "\n";
    } else {
      total += outcome.reward;
    }
  }
  const int ok = rollouts - failed;
  std::cout << rollouts << " rollouts, " << failed << " failed, " << parallel << " in parallel, "
            << seconds << " s (" << rollouts / seconds << "/s); mean reward "
            << (ok > 0 ? static_cast<double>(total) / ok : 0.0) << "\n";
  return failed == 0 ? 0 : 1;
}
