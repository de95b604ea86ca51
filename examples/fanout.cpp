// An RL trainer's step in miniature: fan out N rollouts over a pool of threads, each in a
// sandbox of its own (spawn, run the "episode", read its reward, deprovision), and report
// rewards, failures and the wall time. One libsandbox Client per thread (they are cheap).
//
//   build/bin/hive-fanout [--rollouts 100] [--parallel 16]
//
// Reads HIVE_SERVER and HIVE_TOKEN like hivectl.
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <mutex>
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

}  // namespace

int main(int argc, char** argv) {
  int rollouts = 100, parallel = 16;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--rollouts") == 0) rollouts = std::max(1, std::atoi(argv[i + 1]));
    if (std::strcmp(argv[i], "--parallel") == 0) parallel = std::max(1, std::atoi(argv[i + 1]));
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
