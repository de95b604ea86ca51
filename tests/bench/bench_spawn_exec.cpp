// hive-bench: spawn and exec figures for the local runtime beside floors measured in the same
// run on the same machine. Prints; never passes or fails. Needs root (it starts hive-server).
//
//   build/bin/hive-bench [--spawns N] [--execs N] [--burst N [--burst-clients C]]   (--help)
#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

#include "bench.hpp"
#include "hive/sandbox/client.hpp"
#include "process.hpp"

namespace {

using namespace hive::bench;

extern "C" char** environ;

void spawn_and_wait(std::vector<std::string> argv) {
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  pid_t pid = -1;
  if (posix_spawn(&pid, args[0], nullptr, nullptr, args.data(), environ) == 0) {
    waitpid(pid, nullptr, 0);
  }
}

// The kernel's part of a sandbox: clone into the same namespaces, exec true, wait.
void clone_namespaces_true() {
  long pid = syscall(
      SYS_clone, CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | SIGCHLD,
      nullptr, nullptr, nullptr, 0);
  if (pid == 0) {
    char* argv[] = {const_cast<char*>("/bin/true"), nullptr};
    execve(argv[0], argv, environ);
    _exit(127);
  }
  if (pid > 0) waitpid(static_cast<pid_t>(pid), nullptr, 0);
}

struct AgentStats {
  Micros rss_kib;
  Micros private_kib;  // anonymous + private dirty: what each agent costs beyond the shared binary
  long cpu_ticks = 0;
};

// Every hive-agent on the host: resident memory and CPU time so far.
AgentStats agent_stats() {
  AgentStats stats;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    std::ifstream comm(entry.path() / "comm");
    std::string name;
    if (!(comm >> name) || name != "hive-agent") continue;
    std::ifstream status(entry.path() / "status");
    for (std::string line; std::getline(status, line);) {
      if (line.rfind("VmRSS:", 0) == 0) stats.rss_kib.push_back(std::atof(line.c_str() + 6));
    }
    std::ifstream rollup(entry.path() / "smaps_rollup");
    for (std::string line; std::getline(rollup, line);) {
      if (line.rfind("Private_Dirty:", 0) == 0) {
        stats.private_kib.push_back(std::atof(line.c_str() + 14));
      }
    }
    std::ifstream stat(entry.path() / "stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    std::istringstream fields(text.substr(text.rfind(')') + 2));
    std::string field;
    long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && fields >> field; ++i) {
      if (i == 14) utime = std::atol(field.c_str());
      if (i == 15) stime = std::atol(field.c_str());
    }
    stats.cpu_ticks += utime + stime;
  }
  if (stats.rss_kib.empty()) stats.rss_kib.push_back(0);
  if (stats.private_kib.empty()) stats.private_kib.push_back(0);
  return stats;
}

// exec through the agent's Unix socket directly, skipping the server: the gateway's cost is
// the difference.
Micros exec_direct(const std::string& socket, int n) {
  CURL* curl = curl_easy_init();
  std::string sink;
  curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, socket.c_str());
  curl_easy_setopt(curl, CURLOPT_URL, "http://agent/exec");
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, R"({"argv":["true"]})");
  curl_easy_setopt(
      curl, CURLOPT_WRITEFUNCTION, +[](char*, size_t s, size_t n, void*) { return s * n; });
  auto samples = measure(n, [&] { curl_easy_perform(curl); });
  curl_easy_cleanup(curl);
  return samples;
}

// The floor for a gateway: the same exec through a relay that only copies bytes between a
// loopback TCP connection and the agent's socket (one extra hop, no HTTP, no auth, no lookup).
Micros exec_through_byte_relay(const std::string& socket_path, int n) {
  int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      listen(listener, 1) != 0 ||
      getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    return {};
  }
  std::thread relay([listener, socket_path] {
    int client = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    int one = 1;
    setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    int agent = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un unix_address{};
    unix_address.sun_family = AF_UNIX;
    socket_path.copy(unix_address.sun_path, sizeof unix_address.sun_path - 1);
    connect(agent, reinterpret_cast<sockaddr*>(&unix_address), sizeof unix_address);
    char buffer[65536];
    for (;;) {
      pollfd fds[2] = {{client, POLLIN, 0}, {agent, POLLIN, 0}};
      if (poll(fds, 2, -1) <= 0) break;
      int from = fds[0].revents ? client : agent, to = from == client ? agent : client;
      ssize_t got = read(from, buffer, sizeof buffer);
      if (got <= 0 || write(to, buffer, static_cast<std::size_t>(got)) != got) break;
    }
    close(client);
    close(agent);
  });
  CURL* curl = curl_easy_init();
  const std::string url = "http://127.0.0.1:" + std::to_string(ntohs(address.sin_port)) + "/exec";
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, R"({"argv":["true"]})");
  curl_easy_setopt(
      curl, CURLOPT_WRITEFUNCTION, +[](char*, size_t s, size_t n, void*) { return s * n; });
  auto samples = measure(n, [&] { curl_easy_perform(curl); });
  curl_easy_cleanup(curl);  // closes the connection: the relay's loop ends
  relay.join();
  close(listener);
  return samples;
}

// Time to the first streamed byte of `sh -c 'echo x; sleep 0.02'`, straight to the agent: the
// clock stops when the first stdout event arrives (the command is still running).
Micros first_byte_direct(const std::string& socket, int n) {
  CURL* curl = curl_easy_init();
  curl_slist* headers = curl_slist_append(nullptr, "Accept: application/x-ndjson");
  curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, socket.c_str());
  curl_easy_setopt(curl, CURLOPT_URL, "http://agent/exec");
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, R"({"command":"echo x; sleep 0.02"})");
  struct Clocked {
    Clock::time_point started, first;
  } clocked;
  curl_easy_setopt(
      curl, CURLOPT_WRITEFUNCTION, +[](char* data, size_t s, size_t n, void* user) {
        auto* c = static_cast<Clocked*>(user);
        if (c->first == Clock::time_point{} &&
            std::string_view(data, s * n).find("\"stdout\"") != std::string_view::npos) {
          c->first = Clock::now();
        }
        return s * n;
      });
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &clocked);
  Micros samples;
  for (int i = 0; i < n; ++i) {
    clocked = {Clock::now(), {}};
    curl_easy_perform(curl);
    samples.push_back(
        std::chrono::duration<double, std::micro>(clocked.first - clocked.started).count());
  }
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  return samples;
}

// The same through the gateway, with libsandbox's exec_stream.
Micros first_byte_gateway(hive::sandbox::Client& client, const std::string& id, int n) {
  hive::sandbox::ExecRequest request;
  request.command = "echo x; sleep 0.02";
  Micros samples;
  for (int i = 0; i < n; ++i) {
    auto started = Clock::now();
    Clock::time_point first{};
    (void)client.exec_stream(id, request, [&](const hive::sandbox::ExecEvent& event) {
      if (event.kind == hive::sandbox::ExecEvent::Kind::Stdout && first == Clock::time_point{}) {
        first = Clock::now();
      }
      return true;
    });
    samples.push_back(std::chrono::duration<double, std::micro>(first - started).count());
  }
  return samples;
}

}  // namespace

// Spawns `count` sandboxes from `threads` clients at once, then reports what they cost at rest.
void burst(hive::test::TestServer& server, int count, int threads) {
  std::atomic<int> next{0}, failed{0};
  std::vector<std::thread> workers;
  auto start = Clock::now();
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      auto client = server.client();
      while (next.fetch_add(1) < count) {
        if (!client.spawn({})) ++failed;
      }
    });
  }
  for (auto& w : workers) w.join();
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("\nBurst: %d spawns from %d clients in %.2f s (%.0f/s), %d failed\n", count, threads,
              seconds, count / seconds, failed.load());
  std::this_thread::sleep_for(std::chrono::seconds(2));
  auto agents = agent_stats();
  std::printf(
      "At rest: %zu agents, RSS p50 %.2f MiB, max %.2f MiB (of which private, not the shared "
      "binary: p50 %.2f MiB); CPU of all agents over 5 s: ",
      agents.rss_kib.size(), percentile(agents.rss_kib, 0.5) / 1024,
      percentile(agents.rss_kib, 1.0) / 1024, percentile(agents.private_kib, 0.5) / 1024);
  std::this_thread::sleep_for(std::chrono::seconds(5));
  std::printf("%.2f s\n", (agent_stats().cpu_ticks - agents.cpu_ticks) /
                              static_cast<double>(sysconf(_SC_CLK_TCK)));
  // hivectl as people and scripts meet it, through the same harness as the floor.
  Row floor{"floor: run /bin/true (same harness)",
            measure(20, [] { hive::test::run({"/bin/true"}); })};
  Row version{"hivectl version --client (start-up)", measure(20, [&] {
                server.hivectl({"version", "--client"});
              })};
  Row list_names{"hivectl list -o name, " + std::to_string(count) + " sandboxes", measure(10, [&] {
                   server.hivectl({"list", "-o", "name"});
                 })};
  Row list_table{"hivectl list (table), " + std::to_string(count) + " sandboxes",
                 measure(10, [&] { server.hivectl({"list"}); })};
  std::printf("\nhivectl (floor: starting /bin/true the same way)\n");
  print({floor, version, list_names, list_table}, floor);
  start = Clock::now();
  auto gone = server.client().deprovision_matching("");
  seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("Deprovision all: %zu in %.2f s\n", gone ? gone->deprovisioned.size() : 0, seconds);
}

int main(int argc, char** argv) {
  int spawns = 50, execs = 300, burst_count = 0, burst_threads = 8;
  CLI::App app{
      "hive-bench: spawn, exec, MCP and image figures of the local runtime, each beside a floor "
      "measured in the same run. Prints; never passes or fails. Needs root (it starts "
      "hive-server)."};
  app.add_option("--spawns", spawns, "sandboxes spawned per spawn figure")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  app.add_option("--execs", execs, "calls per exec figure")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  app.add_option("--burst", burst_count, "also spawn this many at once (0: no burst)")
      ->check(CLI::Range(0, 1000000))
      ->capture_default_str();
  app.add_option("--burst-clients", burst_threads, "client threads of the burst")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  std::printf("hive-bench: %d spawns, %d execs, %ld cores\n\n", spawns, execs,
              sysconf(_SC_NPROCESSORS_ONLN));

  Row fork_exec{"floor: fork+exec+wait /bin/true",
                measure(execs, [] { spawn_and_wait({"/bin/true"}); })};
  Row clone_ns{"floor: clone(same namespaces)+exec true", measure(spawns, clone_namespaces_true)};
  Row unshare{"anchor: unshare -pmuin --fork true", measure(spawns, [] {
                spawn_and_wait({"/usr/bin/unshare", "-pmuin", "--fork", "/bin/true"});
              })};

  hive::test::TestServer server;
  auto client = server.client();
  std::vector<std::string> ids;
  Row spawn{"hive: spawn -> Running (libsandbox)", measure(spawns, [&] {
              if (auto sb = client.spawn({})) ids.push_back(sb->id);
            })};
  const std::string& target = ids.front();
  hive::sandbox::ExecRequest request;
  request.argv = {"true"};
  (void)client.exec(target, request);  // warm the connection
  Row exec{"hive: exec true via gateway (libsandbox)",
           measure(execs, [&] { (void)client.exec(target, request); })};
  Row direct{"hive: exec true straight to the agent",
             exec_direct(server.state_dir() + "/sandboxes/" + target + "/agent.sock", execs)};
  Row relayed{
      "floor: exec true through a bare byte relay",
      exec_through_byte_relay(server.state_dir() + "/sandboxes/" + target + "/agent.sock", execs)};
  // The same exec in a sandbox whose own commands spin more threads than there are cores.
  Row loaded{"hive: exec true via gateway, sandbox at 100% CPU", {}};
  if (auto busy = client.spawn({})) {
    hive::sandbox::ExecRequest spin;
    spin.command = "for i in 1 2 3 4; do (while :; do :; done) & done";
    (void)client.exec(busy->id, spin);
    loaded.samples = measure(execs, [&] { (void)client.exec(busy->id, request); });
    (void)client.deprovision(busy->id);
  }
  const int streams = std::max(20, execs / 5);
  Row first_direct{
      "first streamed byte, straight to the agent",
      first_byte_direct(server.state_dir() + "/sandboxes/" + target + "/agent.sock", streams)};
  Row first_gateway{"first streamed byte, via gateway",
                    first_byte_gateway(client, target, streams)};
  std::size_t next = 0;
  Row teardown{"hive: deprovision", measure(static_cast<int>(ids.size()),
                                            [&] { (void)client.deprovision(ids[next++]); })};

  // The network namespace's share of a spawn: the same spawn without one.
  hive::sandbox::SandboxSpec host_net;
  host_net.network = hive::sandbox::Network::Host;
  Row no_netns{"hive: spawn, network host (no new netns)", {}};
  {
    std::vector<std::string> made;
    no_netns.samples = measure(spawns, [&] {
      if (auto sb = client.spawn(host_net)) made.push_back(sb->id);
    });
    for (const auto& id : made) (void)client.deprovision(id);
  }

  // Spawns while another client tears down twice as many: teardown must not stall them.
  Row during_teardown{"hive: spawn while 2N others are torn down", {}};
  {
    std::vector<std::string> doomed;
    for (int i = 0; i < 2 * spawns; ++i) {
      if (auto sb = client.spawn({})) doomed.push_back(sb->id);
    }
    std::thread teardown_thread([&] {
      auto other = server.client();
      for (const auto& id : doomed) (void)other.deprovision(id);
    });
    std::vector<std::string> made;
    during_teardown.samples = measure(spawns, [&] {
      if (auto sb = client.spawn({})) made.push_back(sb->id);
    });
    teardown_thread.join();
    for (const auto& id : made) (void)client.deprovision(id);
  }

  // Claims from a full warm pool; the pool refills in the background between claims.
  Row claim{"hive: spawn from a warm pool (claim)", {}};
  {
    hive::test::TestServer pooled({"--warm-pool", std::to_string(spawns)});
    std::this_thread::sleep_for(std::chrono::milliseconds(500 + 20 * spawns));
    auto pool_client = pooled.client();
    hive::sandbox::SandboxSpec spec;
    spec.env = {{"TASK", "bench"}};  // a claim with per-claim env, as a trainer would send
    claim.samples = measure(spawns, [&] { (void)pool_client.spawn(spec); });
    (void)pool_client.deprovision_matching("");
  }

  std::printf("Spawn (floor: clone into the same namespaces + exec true)\n");
  print({clone_ns, unshare, spawn, no_netns, during_teardown, claim, teardown}, clone_ns);
  std::printf("\nExec round trip (floor: fork+exec+wait of /bin/true)\n");
  print({fork_exec, direct, relayed, exec, loaded}, fork_exec);
  std::printf("\ngateway overhead p50: %.1f us (a bare byte relay's: %.1f us)\n",
              percentile(exec.samples, 0.5) - percentile(direct.samples, 0.5),
              percentile(relayed.samples, 0.5) - percentile(direct.samples, 0.5));
  std::printf("\nStreamed exec: time to the first stdout event (floor: straight to the agent)\n");
  print({first_direct, first_gateway}, first_direct);
  bench_mcp(server, execs);
  bench_images(spawns);
  if (burst_count > 0) burst(server, burst_count, burst_threads);
  return 0;
}
