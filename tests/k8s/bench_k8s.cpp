// hive-bench-k8s: the kubernetes runtime's figures against the test control plane
// (kube-apiserver + etcd + kube-scheduler + kwok from tests/k8s/cluster.sh).
//   spawn -> Running, one at a time and 16 at once, beside the floor: a bare Pod created and
//   seen Ready through the same API and watch, without Hive;
//   hive-server's own writes to the API per sandbox lifetime, counted from the API server's
//   audit log (kwok's and the scheduler's writes are theirs, not ours);
//   spawns served from a warm pool (claim latency).
// Usage: hive-bench-k8s [--sandboxes N]
#include <cstdio>
#include <fstream>
#include <map>
#include <thread>

#include <CLI/CLI.hpp>

#include "bench.hpp"
#include "kube_cluster.hpp"
#include "runtime/kube/kube_client.hpp"
#include "runtime/kube/pod_cache.hpp"

using namespace hive;
namespace kube = hive::server::kube;
using bench::Micros;
using nlohmann::json;

namespace {

// Writes by `user` in the audit log, by "verb resource".
std::map<std::string, int> writes_by(const std::string& audit_log, const std::string& user) {
  std::map<std::string, int> counts;
  std::ifstream in(audit_log);
  for (std::string line; std::getline(in, line);) {
    json event = json::parse(line, nullptr, false);
    if (!event.is_object() || event.value("stage", "") != "ResponseComplete") continue;
    if (event["user"].value("username", "") != user) continue;
    std::string verb = event.value("verb", "");
    if (verb != "create" && verb != "delete" && verb != "patch" && verb != "update") continue;
    counts[verb + " " + event["objectRef"].value("resource", "")]++;
  }
  return counts;
}

int pod_writes(const std::map<std::string, int>& counts) {
  int total = 0;
  for (const auto& [what, n] : counts) {
    if (what.size() > 5 && what.substr(what.size() - 5) == " pods") total += n;
  }
  return total;
}

// The floor: a bare Pod (no Hive) created and seen Ready through the API and a watch.
Micros patch_floor;

Micros bare_pods(const test::KubeNamespace& ns, int n) {
  auto config = kube::kubeconfig_file(test::KubeCluster::get().dir() + "/admin.kubeconfig");
  kube::KubeClient client(*config);
  kube::PodCache cache(client, ns.name(), "bench=floor");
  cache.start();
  cache.wait_synced(std::chrono::seconds(10));
  int i = 0;
  Micros samples = bench::measure(n, [&] {
    std::string name = "floor-" + std::to_string(i++);
    json pod = {{"apiVersion", "v1"},
                {"kind", "Pod"},
                {"metadata", {{"name", name}, {"labels", {{"bench", "floor"}}}}},
                {"spec",
                 {{"serviceAccountName", "hive-sandbox"},
                  {"containers", json::array({{{"name", "c"}, {"image", "busybox"}}})}}}};
    (void)client.call("POST", "/api/v1/namespaces/" + ns.name() + "/pods", &pod);
    cache.wait_for(
        name, [](const json* p) { return p != nullptr && kube::pod_ready(*p); },
        std::chrono::seconds(30));
  });
  // The floor of a claim: one merge PATCH of a Pod's annotation.
  json patch = {{"metadata", {{"annotations", {{"bench", "x"}}}}}};
  patch_floor = bench::measure(n, [&] {
    (void)client.call("PATCH", "/api/v1/namespaces/" + ns.name() + "/pods/floor-0", &patch,
                      "application/merge-patch+json");
  });
  test::KubeCluster::get().kubectl(
      {"-n", ns.name(), "delete", "pods", "-l", "bench=floor", "--wait=false"});
  return samples;
}

Micros spawn_all(const test::TestServer& server, int n, int clients,
                 std::vector<std::string>& ids) {
  std::vector<Micros> per_client(clients);
  std::vector<std::vector<std::string>> made(clients);
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      auto client = server.client();
      int mine = n / clients + (c < n % clients ? 1 : 0);
      per_client[c] = bench::measure(mine, [&] {
        auto sb = client.spawn({});
        if (sb) made[c].push_back(sb->id);
      });
    });
  }
  for (auto& t : threads) t.join();
  Micros all;
  for (int c = 0; c < clients; ++c) {
    all.insert(all.end(), per_client[c].begin(), per_client[c].end());
    ids.insert(ids.end(), made[c].begin(), made[c].end());
  }
  return all;
}

void deprovision_all(const test::TestServer& server, const std::vector<std::string>& ids) {
  auto client = server.client();
  for (const auto& id : ids) (void)client.deprovision(id);
}

}  // namespace

int main(int argc, char** argv) {
  int n = 100;
  CLI::App app{
      "hive-bench-k8s: the kubernetes runtime's figures against the test control plane "
      "(tests/k8s/cluster.sh), each beside a bare Pod's. Prints; never passes or fails."};
  app.add_option("--sandboxes", n, "sandboxes per figure")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  auto& cluster = test::KubeCluster::get();
  const std::string audit = cluster.dir() + "/audit.log";
  std::printf("kubernetes runtime: %d sandboxes, kube-apiserver + etcd + kwok on loopback\n\n", n);

  std::vector<bench::Row> rows;
  bench::Row floor{"floor: bare Pod create -> Ready (API + watch)", {}};
  std::map<std::string, int> cold_writes, pool_writes;
  std::string cold_user, pool_user;
  int cold_count = 0, claimed = 0;
  double burst_seconds = 0;
  {
    test::KubeNamespace ns("bench-cold");
    cold_user = "system:serviceaccount:bench-cold:hive-server";
    floor.samples = bare_pods(ns, std::min(n, 50));
    test::TestServer server(ns.server_flags());
    std::vector<std::string> ids;
    rows.push_back({"hive spawn -> Running, one at a time", spawn_all(server, n, 1, ids)});
    deprovision_all(server, ids);
    cold_count += static_cast<int>(ids.size());
    ids.clear();
    auto start = bench::Clock::now();
    rows.push_back({"hive spawn -> Running, 16 clients at once", spawn_all(server, n, 16, ids)});
    burst_seconds = std::chrono::duration<double>(bench::Clock::now() - start).count();
    deprovision_all(server, ids);
    cold_count += static_cast<int>(ids.size());
    std::this_thread::sleep_for(std::chrono::seconds(2));  // the audit log is written async
    cold_writes = writes_by(audit, cold_user);
  }
  {
    test::KubeNamespace ns("bench-pool");
    pool_user = "system:serviceaccount:bench-pool:hive-server";
    auto flags = ns.server_flags();
    flags.insert(flags.end(), {"--warm-pool", std::to_string(n)});
    test::TestServer server(flags);
    auto client = server.client();
    // Wait for the pool to fill, then claim from it one at a time.
    for (int i = 0; i < 600; ++i) {
      auto pods = ns.pods();
      int ready = 0;
      for (const auto& pod : pods) ready += pod["status"].value("podIP", "") != "" ? 1 : 0;
      if (ready >= n) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    std::vector<std::string> ids;
    rows.push_back({"hive spawn from a warm pool (claim)", spawn_all(server, n, 1, ids)});
    claimed = static_cast<int>(ids.size());
    deprovision_all(server, ids);
    std::this_thread::sleep_for(std::chrono::seconds(2));
    pool_writes = writes_by(audit, pool_user);
  }

  bench::print(rows, floor);
  std::printf("%-52s %6zu %10.3f %10.3f %8s\n", floor.name.c_str(), floor.samples.size(),
              bench::percentile(floor.samples, 0.5) / 1000,
              bench::percentile(floor.samples, 0.95) / 1000, "1.0");
  std::printf("%-52s %6zu %10.3f %10.3f\n", "floor of a claim: one bare merge PATCH of a Pod",
              patch_floor.size(), bench::percentile(patch_floor, 0.5) / 1000,
              bench::percentile(patch_floor, 0.95) / 1000);
  std::printf("\n%d spawns by 16 clients: %.2f s (%.0f/s)\n", n, burst_seconds, n / burst_seconds);
  std::printf("\nhive-server's writes to the API (audit log, user %s):\n", cold_user.c_str());
  for (const auto& [what, count] : cold_writes) std::printf("  %-24s %d\n", what.c_str(), count);
  std::printf("  pod writes per cold sandbox lifetime (spawn + deprovision): %.2f (goal <= 2)\n",
              pod_writes(cold_writes) / static_cast<double>(std::max(cold_count, 1)));
  std::printf("warm pool (user %s):\n", pool_user.c_str());
  for (const auto& [what, count] : pool_writes) std::printf("  %-24s %d\n", what.c_str(), count);
  std::printf(
      "  pod writes per claimed sandbox, claim to deprovision: %.2f (patch + delete; its "
      "create happened ahead of demand)\n",
      (pool_writes["patch pods"] + pool_writes["delete pods"]) /
          static_cast<double>(std::max(claimed, 1)));
  return 0;
}
