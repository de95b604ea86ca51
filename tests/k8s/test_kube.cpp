// The kubernetes runtime against a real kube-apiserver, etcd, kube-scheduler and kwok
// (tests/k8s/cluster.sh). kwok runs no containers: a real hive-agent stands in on the Pod's
// IP (kwok hands out loopback addresses) where a test needs one.
#include <signal.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <fstream>
#include <functional>
#include <set>
#include <stdexcept>
#include <thread>

#include "kube_cluster.hpp"
#include "registry.hpp"
#include "runtime/kube/kube_runtime.hpp"

using namespace hive::test;
using nlohmann::json;

namespace {

bool eventually(const std::function<bool()>& done, int seconds) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return done();
}

std::set<std::string> pod_names(const KubeNamespace& ns) {
  std::set<std::string> names;
  for (const auto& pod : ns.pods()) {
    if (!pod["metadata"].contains("deletionTimestamp"))
      names.insert(pod["metadata"]["name"].get<std::string>());
  }
  return names;
}

std::set<std::string> listed(const TestServer& server) {
  auto out = server.hivectl({"list", "-o", "name"});
  std::set<std::string> names;
  std::size_t start = 0;
  for (std::size_t nl; (nl = out.out.find('\n', start)) != std::string::npos; start = nl + 1) {
    names.insert(out.out.substr(start, nl - start));
  }
  return names;
}

std::string lease_holder(const KubeNamespace& ns) {
  auto lease = KubeCluster::get().kubectl_json({"-n", ns.name(), "get", "lease", "hive-server"});
  return lease.is_object() ? lease["spec"].value("holderIdentity", "") : "";
}

// A real hive-agent where kwok said the Pod is, with the secret the server derives.
struct AgentStandIn {
  pid_t pid = -1;
  AgentStandIn(const std::string& ip, const std::string& secret) {
    pid = fork();
    if (pid == 0) {
      setenv("HIVE_AGENT_SECRET", secret.c_str(), 1);
      std::string listen = ip + ":7777";
      std::string agent = bin("hive-agent");
      execl(agent.c_str(), agent.c_str(), "--listen-tcp", listen.c_str(), "--workdir", "/tmp",
            static_cast<char*>(nullptr));
      _exit(127);
    }
  }
  ~AgentStandIn() {
    kill(pid, SIGTERM);
    waitpid(pid, nullptr, 0);
  }
};

// Two replicas of the server on one namespace: a, started first and holding the lease, and b.
struct Replicas {
  TestServer a, b;
  Replicas(const KubeNamespace& ns, const std::vector<std::string>& extra = {})
      : a(with(ns, "replica-a", extra)), b((wait_for_leader(ns), with(ns, "replica-b", extra))) {}

  static std::vector<std::string> with(const KubeNamespace& ns, const std::string& id,
                                       const std::vector<std::string>& extra) {
    auto flags = ns.server_flags();
    flags.insert(flags.end(), {"--replica-id", id});
    flags.insert(flags.end(), extra.begin(), extra.end());
    return flags;
  }
  static void wait_for_leader(const KubeNamespace& ns) {
    if (!eventually([&] { return lease_holder(ns) == "replica-a"; }, 10)) {
      throw std::runtime_error("replica-a did not take the lease");
    }
  }
};

}  // namespace

TEST_CASE("kubernetes: spawn makes a Pod, list and get come from the cache, deprovision deletes it",
          "[k8s]") {
  KubeNamespace ns("hive-basic");
  TestServer server(ns.server_flags());
  auto spawned = server.hivectl({"spawn", "--name", "web", "--label", "team=rl", "--env", "A=1",
                                 "--cpu", "500m", "--memory", "256Mi", "-o", "json"});
  REQUIRE(spawned.exit_code == 0);
  json sandbox = json::parse(spawned.out);
  const std::string id = sandbox["id"];
  CHECK(sandbox["state"] == "Running");
  CHECK(sandbox["runtime"] == "kubernetes");

  json pod = ns.pod(id);
  REQUIRE(pod.is_object());
  CHECK(pod["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "hive");
  CHECK(pod["metadata"]["labels"]["hive.dev/sandbox-id"] == id);
  CHECK(pod["spec"]["initContainers"][0]["command"][1] == "--install-to");
  CHECK(pod["spec"]["containers"][0]["resources"]["limits"]["cpu"] == "500m");
  CHECK(pod["spec"]["containers"][0]["resources"]["limits"]["memory"] == "256Mi");
  CHECK(pod["spec"]["automountServiceAccountToken"] == false);
  CHECK(pod["spec"]["containers"][0]["readinessProbe"]["httpGet"]["path"] == "/healthz");
  CHECK(pod["status"]["phase"] == "Running");

  auto got = server.hivectl({"get", "web", "-o", "json"});
  REQUIRE(got.exit_code == 0);
  CHECK(json::parse(got.out)["labels"]["team"] == "rl");
  CHECK(server.hivectl({"list", "-l", "team=rl", "-o", "name"}).out == id + "\n");
  CHECK(server.hivectl({"list", "-l", "team=other", "-o", "name"}).out.empty());

  // A second server (another replica) sees the same sandbox: the Pod is the record.
  TestServer replica(ns.server_flags());
  CHECK(replica.hivectl({"get", "web", "-o", "jsonpath={.state}"}).out == "Running");

  // The name is taken while the sandbox lives, and the message says by whom and how to free it.
  auto again = server.hivectl({"spawn", "--name", "web"});
  CHECK(again.exit_code != 0);
  CHECK_THAT(again.err, Catch::Contains("a sandbox named 'web' already exists (" + id));
  CHECK_THAT(again.err, Catch::Contains("'hivectl rm web' frees the name"));

  auto gone = server.hivectl({"deprovision", "web"});
  CHECK(gone.exit_code == 0);
  CHECK(server.hivectl({"list", "-o", "name"}).out.empty());
  CHECK(eventually([&] { return ns.pod(id).is_null(); }, 10));
  CHECK(eventually([&] { return replica.hivectl({"list", "-o", "name"}).out.empty(); }, 10));

  // The kubelet pulls a Pod's image: Hive's image store is the local runtime's alone.
  for (const std::vector<std::string>& verb :
       {std::vector<std::string>{"image", "ls"}, {"image", "pull", "python:3.12"}}) {
    auto refused = server.hivectl(verb);
    CHECK(refused.exit_code == 1);
    CHECK_THAT(refused.err, Catch::Contains("images are not managed on this runtime (on kubernetes "
                                            "the kubelet pulls each Pod's image)"));
  }
}

TEST_CASE("kubernetes: the gateway reaches the agent at the Pod IP with the sandbox's secret",
          "[k8s]") {
  KubeNamespace ns("hive-gateway");
  TestServer server(ns.server_flags());
  auto spawned = server.hivectl({"spawn", "-o", "json"});
  REQUIRE(spawned.exit_code == 0);
  const std::string id = json::parse(spawned.out)["id"];
  const std::string ip = ns.pod(id)["status"]["podIP"];

  // Before any agent listens there: a clear error, not a hang.
  auto refused = server.hivectl({"exec", id, "--", "true"});
  CHECK(refused.exit_code != 0);
  CHECK_THAT(refused.err, Catch::Contains(ip));

  AgentStandIn agent(ip, hive::hmac_hex(ns.agent_key(), "hive-agent:" + id));
  REQUIRE(eventually(
      [&] {
        return server.hivectl({"exec", id, "--", "true"}).exit_code == 0;
      },
      10));
  auto echoed =
      server.hivectl({"exec", id, "--", "sh", "-c", "echo hi; echo ${HIVE_AGENT_SECRET:-unset}"});
  CHECK(echoed.out == "hi\nunset\n");  // commands never see the agent's secret

  // Another sandbox's secret does not open this agent.
  AgentStandIn other(ip.substr(0, ip.rfind('.')) + ".250",
                     hive::hmac_hex(ns.agent_key(), "hive-agent:sb-other"));
  auto wrong = run({"/usr/bin/curl", "-s", "-XPOST", "-H",
                    "X-Hive-Agent-Secret: " + hive::hmac_hex(ns.agent_key(), "hive-agent:sb-other"),
                    "http://" + ip + ":7777/exec", "-d", R"({"argv":["true"]})"});
  CHECK_THAT(wrong.out, Catch::Contains("unauthorized"));
}

TEST_CASE("kubernetes: the leader reaps at the TTL; a keepalive moves the expiry in the Pod",
          "[k8s]") {
  KubeNamespace ns("hive-ttl");
  TestServer server(ns.server_flags());
  auto short_lived = server.hivectl({"spawn", "--ttl", "2", "-o", "name"});
  auto kept = server.hivectl({"spawn", "--ttl", "6", "-o", "name"});
  REQUIRE(short_lived.exit_code == 0);
  REQUIRE(kept.exit_code == 0);
  const std::string gone = trim(short_lived.out), alive = trim(kept.out);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  const auto expiry = [&] {
    auto pod = ns.pod(alive);
    return pod.is_object()
               ? pod["metadata"]["annotations"]["hive.dev/expires-at"].get<std::string>()
               : "";
  };
  const std::string first_expiry = expiry();
  REQUIRE(server.hivectl({"keepalive", alive}).exit_code == 0);
  CHECK(expiry() > first_expiry);  // written into the Pod: every replica reaps by it
  REQUIRE(eventually([&] { return ns.pod(gone).is_null(); }, 15));
  auto reaped = server.hivectl({"get", gone, "-o", "json"});
  REQUIRE(reaped.exit_code == 0);
  CHECK(json::parse(reaped.out)["state"] == "Terminated");
  CHECK(json::parse(reaped.out)["reason"] == "ttl");
  CHECK(ns.pod(alive).is_object());  // its expiry was moved on by the keepalive
}

TEST_CASE("kubernetes: two replicas; the leader is killed and the other takes the lease and reaps",
          "[k8s]") {
  KubeNamespace ns("hive-leader");
  Replicas replicas(ns);
  TestServer &a = replicas.a, &b = replicas.b;
  std::this_thread::sleep_for(std::chrono::seconds(3));
  CHECK(lease_holder(ns) == "replica-a");  // a live leader keeps it

  auto spawned = b.hivectl({"spawn", "--ttl", "4", "-o", "name"});
  REQUIRE(spawned.exit_code == 0);
  const std::string id = trim(spawned.out);
  CHECK(eventually(
      [&] {
        return a.hivectl({"get", id, "-o", "jsonpath={.state}"}).out == "Running";
      },
      5));

  // The sandbox's token, handed out by b, opens it at a too: both derive one key from the
  // admin token they share.
  const std::string token = json::parse(b.hivectl({"get", id, "-o", "json"}).out)["token"];
  CHECK(a.hivectl({"--token", token, "get", id}).exit_code == 0);
  auto listed = a.hivectl({"--token", token, "list"});
  CHECK(listed.exit_code != 0);
  CHECK_THAT(listed.err, Catch::Contains("this token is sandbox " + id + "'s"));

  a.kill9();  // no release: b must wait out the lease
  CHECK(eventually([&] { return lease_holder(ns) == "replica-b"; }, 15));
  CHECK(eventually([&] { return ns.pod(id).is_null(); }, 20));  // b reaps at the TTL
  CHECK(b.hivectl({"get", id, "-o", "jsonpath={.reason}"}).out == "ttl");
}

TEST_CASE(
    "kubernetes: the API server restarts mid-watch; the cache comes back with no lost or ghost "
    "sandbox",
    "[k8s]") {
  KubeNamespace ns("hive-restart");
  TestServer server(ns.server_flags());
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    auto out = server.hivectl({"spawn", "-o", "name"});
    REQUIRE(out.exit_code == 0);
    ids.push_back(trim(out.out));
  }
  auto& cluster = KubeCluster::get();
  cluster.restart_apiserver(2);
  // Changes the watch has not seen: one Pod deleted behind the server's back, one made by
  // another replica.
  cluster.kubectl({"-n", ns.name(), "delete", "pod", ids[0], "--wait=false"});
  TestServer other(ns.server_flags());
  auto made = other.hivectl({"spawn", "-o", "name"});
  REQUIRE(made.exit_code == 0);
  const std::string newcomer = trim(made.out);

  std::set<std::string> want{ids[1], ids[2], newcomer};
  CHECK(eventually([&] { return listed(server) == want; }, 30));
  CHECK(listed(server) == pod_names(ns));
  CHECK(server.hivectl({"get", ids[0]}).exit_code != 0);
  auto ready = run(
      {"/usr/bin/curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", server.url() + "/readyz"});
  CHECK(ready.out == "200");
}

TEST_CASE("kubernetes: spawn --start reads the image's Entrypoint and Cmd from its registry",
          "[k8s]") {
  TestRegistry registry;
  KubeNamespace ns("hive-start");
  TestServer server(ns.server_flags());
  const std::string image = registry.host() + "/test/busybox:multi";
  auto spawned = server.hivectl({"spawn", "--image", image, "--start"});
  INFO(spawned.err);
  REQUIRE(spawned.exit_code == 0);
  // The agent stays the container's command and starts the image's after "--".
  json command = ns.pod(trim(spawned.out))["spec"]["containers"][0]["command"];
  REQUIRE(command.size() > 4);
  CHECK(command[command.size() - 4] == "--");
  CHECK(command[command.size() - 3] == "/bin/sh");
  CHECK(command[command.size() - 2] == "-c");
  CHECK(command.back() == "echo started > /tmp/started; sleep 1000");
  // Of the blobs, only the config was read: the kubelet pulls the layers.
  const std::string log = registry.log();
  int blob_gets = 0;
  for (std::size_t at = 0; (at = log.find("/blobs/sha256:", at)) != std::string::npos; ++at) {
    ++blob_gets;
  }
  CHECK(blob_gets == 1);

  for (const auto& [args, why] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"spawn", "--start"}, "image 'host' has none"},
           {{"spawn", "--start", "--image", registry.host() + "/test/none:1"}, "test/none"}}) {
    auto refused = server.hivectl(args);
    CHECK(refused.exit_code != 0);
    CHECK_THAT(refused.err, Catch::Contains(why));
  }
  CHECK(pod_names(ns).size() == 1);
}

TEST_CASE("kubernetes: API errors become clear Hive errors", "[k8s]") {
  KubeNamespace ns("hive-errors");
  TestServer server(ns.server_flags());
  // Refused by admission: a RuntimeClass that does not exist. The API's own words reach the
  // user; nothing is left behind.
  auto invalid = server.hivectl({"spawn", "--runtime-class", "gvisor"});
  CHECK(invalid.exit_code != 0);
  CHECK_THAT(invalid.err, Catch::Contains("RuntimeClass \"gvisor\" not found"));
  CHECK_THAT(invalid.err, !Catch::Contains("rbac.yaml"));
  CHECK(server.hivectl({"list", "-o", "name"}).out.empty());

  // 403: a ServiceAccount without the Role cannot start a server.
  TempDir files;
  std::ofstream(files.path() + "/kubeconfig") << ns.kubeconfig_for("nobody");
  auto flags = ns.server_flags();
  flags[3] = files.path() + "/kubeconfig";
  std::vector<std::string> argv{
      bin("hive-server"),      "--listen",        "127.0.0.1:0", "--state-dir",
      files.path() + "/state", "--client-config", "none"};
  argv.insert(argv.end(), flags.begin(), flags.end());
  auto refused = run(argv);
  CHECK(refused.exit_code != 0);
  CHECK_THAT(refused.err, Catch::Contains("forbidden"));
  CHECK_THAT(refused.err, Catch::Contains("rbac.yaml"));
}

TEST_CASE("kubernetes: the manifests in k8s/ pass the API server's dry run", "[k8s]") {
  auto& cluster = KubeCluster::get();
  std::string k8s = std::string(HIVE_SOURCE_DIR) + "/k8s";
  REQUIRE(cluster.kubectl({"apply", "-f", k8s + "/namespace.yaml"}).exit_code == 0);
  auto dry = cluster.kubectl({"apply", "--dry-run=server", "-k", k8s});
  INFO(dry.err);
  CHECK(dry.exit_code == 0);
  for (const char* kind :
       {"deployment.apps/hive-server", "role.rbac.authorization.k8s.io/hive-server",
        "networkpolicy.networking.k8s.io/hive-sandbox-ingress", "service/hive-server"}) {
    CHECK_THAT(dry.out, Catch::Contains(kind));
  }
}

TEST_CASE(
    "kubernetes: warm-pool Pods are claimed by one guarded PATCH; racing replicas never share one",
    "[k8s]") {
  KubeNamespace ns("hive-pool");
  Replicas replicas(ns, {"--warm-pool", "12"});
  TestServer &a = replicas.a, &b = replicas.b;
  const auto pooled = [&] {
    std::set<std::string> ids;
    for (const auto& pod : ns.pods()) {
      if (pod["metadata"]["labels"].contains("hive.dev/pool") &&
          pod["status"].value("podIP", "") != "") {
        ids.insert(pod["metadata"]["name"].get<std::string>());
      }
    }
    return ids;
  };
  REQUIRE(eventually([&] { return pooled().size() == 12; }, 30));
  const auto pool_before = pooled();
  CHECK(a.hivectl({"list", "-o", "name"}).out.empty());  // pooled sandboxes are nobody's yet

  // 16 spawns at once, half through each replica: more than the pool holds.
  std::vector<std::string> ids(16);
  std::vector<std::thread> spawners;
  for (int i = 0; i < 16; ++i) {
    spawners.emplace_back([&, i] {
      const TestServer& via = i % 2 == 0 ? a : b;
      auto out = via.hivectl({"spawn", "-l", "n=" + std::to_string(i), "-o", "name"});
      if (out.exit_code == 0) ids[i] = trim(out.out);
    });
  }
  for (auto& t : spawners) t.join();
  std::set<std::string> distinct(ids.begin(), ids.end());
  CHECK(distinct.count("") == 0);
  CHECK(distinct.size() == 16);  // no sandbox handed to two spawns
  int from_pool = 0;
  for (int i = 0; i < 16; ++i) {
    if (pool_before.count(ids[i])) ++from_pool;
    // The Pod carries its one claimant's record.
    auto pod = ns.pod(ids[i]);
    REQUIRE(pod.is_object());
    auto spec = json::parse(pod["metadata"]["annotations"]["hive.dev/spec"].get<std::string>());
    CHECK(spec["labels"]["n"] == std::to_string(i));
    CHECK_FALSE(pod["metadata"]["labels"].contains("hive.dev/pool"));
  }
  CHECK(from_pool >= 8);  // the rest were cold starts once the pool ran dry
  CHECK(eventually([&] { return listed(a).size() == 16 && listed(b).size() == 16; }, 10));
  // The leader fills the pool again.
  CHECK(eventually([&] { return pooled().size() == 12; }, 30));
}

TEST_CASE(
    "kubernetes: the leader asks the agent before an idle reap, so traffic through another replica "
    "counts",
    "[k8s]") {
  KubeNamespace ns("hive-idle");
  Replicas replicas(ns);
  TestServer &a = replicas.a, &b = replicas.b;
  auto spawned = b.hivectl({"spawn", "--idle-timeout", "3", "-o", "name"});
  REQUIRE(spawned.exit_code == 0);
  const std::string id = trim(spawned.out);
  AgentStandIn agent(ns.pod(id)["status"]["podIP"],
                     hive::hmac_hex(ns.agent_key(), "hive-agent:" + id));
  REQUIRE(eventually([&] { return b.hivectl({"exec", id, "--", "true"}).exit_code == 0; }, 10));

  // Busy through replica b only, for twice the idle timeout: the leader (a) must not reap it.
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(7);
  while (std::chrono::steady_clock::now() < until) {
    CHECK(b.hivectl({"exec", id, "--", "true"}).exit_code == 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
  }
  CHECK(ns.pod(id).is_object());
  // Left alone, it is reaped as idle.
  CHECK(eventually([&] { return ns.pod(id).is_null(); }, 15));
  // The tombstone may reach the replica's view a moment after the Pod is gone (seen once in a
  // loaded CI run).
  CHECK(eventually(
      [&] {
        return a.hivectl({"get", id, "-o", "jsonpath={.reason}"}).out == "idle";
      },
      5));
}
