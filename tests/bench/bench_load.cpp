// hive-load: the load and soak figures of docs/performance.md. Load: N exec streams open at once
// across M sandboxes, each printing, sleeping and printing again, so all are open together;
// every one must finish with the right output. Soak: mixed spawn/exec/deprovision for a while,
// sampling the server's descriptors and memory; afterwards nothing may be left. Prints the
// figures and exits 1 on any error, leftover or growth, so the suite runs it as a test.
// Hostile: one sandbox attacks while another's exec latency is sampled (bench_hostile.cpp).
// Flood: N idle connections from 127.0.0.2-17 (a hostile tenant needs no token for that),
// then an API call and an exec timed from 127.0.0.1 while they stay open; every sandbox must
// survive.
//   hive-load [--sandboxes 100] [--streams 1000] [--soak-seconds 60] [--soak-clients 8]
//             [--hostile-seconds 0] [--flood N]   (alone: --flood 3000 --streams 0 --soak-seconds
//             0)
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include <CLI/CLI.hpp>

#include "bench.hpp"

using hive::bench::Clock;
using hive::bench::percentile;
using hive::sandbox::ExecEvent;
using hive::sandbox::ExecRequest;
using hive::test::TestServer;

namespace {

long open_fds(pid_t pid) {
  long n = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd")) {
    (void)entry;
    ++n;
  }
  return n;
}

long rss_kib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return 0;
}

std::vector<std::string> spawn_many(const TestServer& server, int count) {
  std::vector<std::string> ids(static_cast<std::size_t>(count));
  std::atomic<int> next{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([&] {
      auto client = server.client();
      for (int i; (i = next.fetch_add(1)) < count;) {
        if (auto sb = client.spawn({})) ids[static_cast<std::size_t>(i)] = sb->id;
      }
    });
  }
  for (auto& t : threads) t.join();
  return ids;
}

// Returns the number of failed streams.
int load(const TestServer& server, const std::vector<std::string>& ids, int streams) {
  std::atomic<int> errors{0}, open_now{0}, peak{0}, ready{0};
  std::mutex mutex;
  hive::bench::Micros first_event, whole;
  std::string first_error;
  std::vector<std::thread> threads;
  for (int i = 0; i < streams; ++i) {
    threads.emplace_back([&, i] {
      auto client = server.client();
      ExecRequest request;
      request.argv = {"sh", "-c", "echo begin; sleep 3; echo end"};
      const auto& id = ids[static_cast<std::size_t>(i) % ids.size()];
      ++ready;
      while (ready.load() < streams) std::this_thread::sleep_for(std::chrono::milliseconds(5));
      auto start = Clock::now();
      double first = -1;
      std::string out;
      auto result = client.exec_stream(id, request, [&](const ExecEvent& event) {
        if (first < 0) {
          first = std::chrono::duration<double, std::micro>(Clock::now() - start).count();
          int now = ++open_now;
          for (int p = peak.load(); now > p && !peak.compare_exchange_weak(p, now);) {
          }
        }
        if (event.kind == ExecEvent::Kind::Stdout) out += event.data;
        return true;
      });
      --open_now;
      auto total = std::chrono::duration<double, std::micro>(Clock::now() - start).count();
      std::lock_guard lock(mutex);
      if (!result || result->exit_code != 0 || out != "begin\nend\n") {
        ++errors;
        if (first_error.empty()) {
          first_error = result
                            ? "exit " + std::to_string(result->exit_code) + " output '" + out + "'"
                            : result.error().message;
        }
      } else {
        first_event.push_back(first);
        whole.push_back(total);
      }
    });
  }
  for (auto& t : threads) t.join();
  std::printf("load: %d exec streams over %zu sandboxes: %d errors, peak %d open at once\n",
              streams, ids.size(), errors.load(), peak.load());
  if (!first_event.empty()) {
    std::printf(
        "      first event p50 %.1f ms p99 %.1f ms; whole stream (sleep 3 s) p50 %.0f ms "
        "p99 %.0f ms\n",
        percentile(first_event, 0.5) / 1000, percentile(first_event, 0.99) / 1000,
        percentile(whole, 0.5) / 1000, percentile(whole, 0.99) / 1000);
  }
  if (!first_error.empty()) std::printf("      first error: %s\n", first_error.c_str());
  return errors.load();
}

struct Sample {
  double at_seconds;
  long fds, rss;
};

// Returns whether the soak passed: no errors, nothing left, no growth.
bool soak(TestServer& server, int seconds, int clients) {
  const long fds_before = open_fds(server.pid());
  std::atomic<bool> stop{false};
  std::atomic<long> cycles{0}, errors{0};
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&] {
      auto client = server.client();
      ExecRequest request;
      request.argv = {"sh", "-c", "echo x > /workspace/f && cat /workspace/f"};
      while (!stop) {
        auto sb = client.spawn({});
        if (!sb) {
          ++errors;
          continue;
        }
        for (int i = 0; i < 3; ++i) {
          auto r = client.exec(sb->id, request);
          if (!r || r->stdout_data != "x\n") ++errors;
        }
        if (!client.deprovision(sb->id)) ++errors;
        ++cycles;
      }
    });
  }
  std::vector<Sample> samples;
  const auto start = Clock::now();
  while (Clock::now() - start < std::chrono::seconds(seconds)) {
    std::this_thread::sleep_for(std::chrono::seconds(std::max(1, seconds / 12)));
    samples.push_back({std::chrono::duration<double>(Clock::now() - start).count(),
                       open_fds(server.pid()), rss_kib(server.pid())});
  }
  stop = true;
  for (auto& t : threads) t.join();
  // A leak shows idle against idle: a sample taken mid-cycle counts whatever pipes and
  // sockets the calls in flight hold then, so it says nothing. Closed connections take the
  // server a moment to notice, hence the wait.
  long fds_after = open_fds(server.pid());
  for (int i = 0; i < 50 && fds_after > fds_before + 4; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    fds_after = open_fds(server.pid());
  }
  const long rss_after = rss_kib(server.pid());
  auto left = server.client().list();
  const std::size_t leftover = left ? left->size() : 999;
  std::size_t dirs = 0;
  for ([[maybe_unused]] const auto& entry :
       std::filesystem::directory_iterator(server.state_dir() + "/sandboxes")) {
    ++dirs;
  }
  // The first quarter warms caches and pools; growth is judged from there to the end.
  const Sample& base = samples[samples.size() / 4];
  std::printf("soak: %ds, %d clients: %ld spawn+3 exec+deprovision cycles (%.0f/s), %ld errors\n",
              seconds, clients, cycles.load(), static_cast<double>(cycles.load()) / seconds,
              errors.load());
  std::printf(
      "      server fds %ld idle before, %ld at %.0fs -> %ld at end, %ld idle after; "
      "RSS %.1f -> %.1f MiB, %.1f MiB idle after\n",
      fds_before, base.fds, base.at_seconds, samples.back().fds, fds_after, base.rss / 1024.0,
      samples.back().rss / 1024.0, rss_after / 1024.0);
  std::printf("      left over: %zu sandboxes listed, %zu sandbox directories\n", leftover, dirs);
  const bool fds_flat = fds_after <= fds_before + 4;
  const bool rss_flat = samples.back().rss <= base.rss + base.rss / 4 + 4096;
  if (!fds_flat) std::printf("      FAIL: descriptors grew\n");
  if (!rss_flat) std::printf("      FAIL: memory grew more than 25%% + 4 MiB\n");
  return errors == 0 && leftover == 0 && dirs == 0 && fds_flat && rss_flat;
}

// Returns whether the sandboxes all came through a flood of `count` idle connections. Calls
// refused while the flood fills the server's caps (a 503) are figures, not failures.
bool flood(const TestServer& server, const std::vector<std::string>& ids, int count) {
  const auto colon = server.url().rfind(':');
  const int port = std::stoi(server.url().substr(colon + 1));
  std::vector<int> fds;
  const auto started = Clock::now();
  for (int i = 0; i < count; ++i) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) break;
    fds.push_back(fd);
    sockaddr_in from{}, to{};
    from.sin_family = to.sin_family = AF_INET;
    from.sin_addr.s_addr = htonl((127u << 24) | static_cast<std::uint32_t>(2 + i % 16));
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    to.sin_port = htons(static_cast<std::uint16_t>(port));
    (void)bind(fd, reinterpret_cast<const sockaddr*>(&from), sizeof from);
    (void)connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof to);
  }
  const double opening = std::chrono::duration<double>(Clock::now() - started).count();
  std::this_thread::sleep_for(std::chrono::seconds(2));
  int held = 0;  // neither answered nor closed by the server
  for (int fd : fds) {
    char byte = 0;
    if (recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) < 0 && errno == EAGAIN) ++held;
  }
  auto client = server.client();
  hive::bench::Micros health, exec;
  int errors = 0;
  std::string first_error;
  ExecRequest echo;
  echo.argv = {"echo", "ok"};
  for (int round = 0; round < 10; ++round) {
    auto at = Clock::now();
    if (auto v = client.version(); !v) {
      ++errors;
      if (first_error.empty()) first_error = v.error().message;
    }
    health.push_back(std::chrono::duration<double, std::micro>(Clock::now() - at).count());
    const auto& id = ids[static_cast<std::size_t>(round) % ids.size()];
    at = Clock::now();
    auto out = client.exec(id, echo);
    if (!out || out->stdout_data != "ok\n") {
      ++errors;
      if (first_error.empty()) {
        first_error = out ? "output '" + out->stdout_data + "'" : out.error().message;
      }
    }
    exec.push_back(std::chrono::duration<double, std::micro>(Clock::now() - at).count());
  }
  const long fds_during = open_fds(server.pid());
  for (int fd : fds) close(fd);
  std::this_thread::sleep_for(std::chrono::seconds(1));
  int lost = 0;
  for (const auto& id : ids) {
    auto sb = client.get(id);
    if (!sb || sb->state != hive::sandbox::State::Running) ++lost;
  }
  std::printf("flood: %zu idle connections opened in %.2f s, %d held by the server (its fds %ld)\n",
              fds.size(), opening, held, fds_during);
  std::printf(
      "      during it from 127.0.0.1: version p50 %.1f ms p99 %.1f ms, exec p50 %.1f ms "
      "p99 %.1f ms, %d errors; after it %d of %zu sandboxes not Running\n",
      percentile(health, 0.5) / 1000, percentile(health, 0.99) / 1000, percentile(exec, 0.5) / 1000,
      percentile(exec, 0.99) / 1000, errors, lost, ids.size());
  if (!first_error.empty()) std::printf("      first error: %s\n", first_error.c_str());
  return lost == 0;
}

}  // namespace

int main(int argc, char** argv) {
  int sandboxes = 100, streams = 1000, soak_seconds = 60, soak_clients = 8, hostile_seconds = 0,
      flood_count = 0;
  CLI::App app{
      "hive-load: N exec streams open at once over M sandboxes, a soak of spawn/exec/deprovision, "
      "a hostile neighbour, a connection flood. Prints the figures and exits 1 on any error, "
      "leftover or growth. Needs root (it starts hive-server)."};
  auto count = [&](const char* flag, int& value, const char* what, bool positive = false) {
    app.add_option(flag, value, what)
        ->check(positive ? CLI::Range(1, 1000000) : CLI::Range(0, 1000000))
        ->capture_default_str();
  };
  count("--sandboxes", sandboxes, "sandboxes the streams and the soak use", true);
  count("--streams", streams, "exec streams open at once (0: none)");
  count("--soak-seconds", soak_seconds, "length of the soak (0: none)");
  count("--soak-clients", soak_clients, "client threads of the soak", true);
  count("--hostile-seconds", hostile_seconds, "time beside a hostile neighbour (0: none)");
  count("--flood", flood_count,
        "idle connections of the flood (0: none; alone: --flood 3000 "
        "--streams 0 --soak-seconds 0)");
  CLI11_PARSE(app, argc, argv);
  rlimit files{};  // a thousand streams want a few thousand descriptors here
  if (getrlimit(RLIMIT_NOFILE, &files) == 0) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }
  bool ok = true;
  TestServer server;
  if (flood_count > 0) {
    auto ids = spawn_many(server, std::min(sandboxes, 8));
    std::erase(ids, "");
    ok = !ids.empty() && flood(server, ids, flood_count);
    for (const auto& id : ids) (void)server.client().deprovision(id);
  }
  if (streams > 0) {
    auto ids = spawn_many(server, sandboxes);
    std::erase(ids, "");
    if (static_cast<int>(ids.size()) != sandboxes) {
      std::printf("load: only %zu of %d sandboxes spawned\n", ids.size(), sandboxes);
      return 1;
    }
    ok = load(server, ids, streams) == 0 && ok;
    for (const auto& id : ids) (void)server.client().deprovision(id);
  }
  if (soak_seconds > 0) ok = soak(server, soak_seconds, soak_clients) && ok;
  if (hostile_seconds > 0) ok = hive::bench::hostile(server, hostile_seconds) && ok;
  std::printf("%s\n", ok ? "ok" : "FAILED");
  return ok ? 0 : 1;
}
