// network: none, host and egress. Egress is checked against a test host of our own: a network
// namespace with a veth pair and a small HTTP server, made here and removed after.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "checks.hpp"
#include "hive/sandbox/client.hpp"
#include "process.hpp"

using namespace hive::sandbox;
using hive::test::run;
using hive::test::run_in;
using hive::test::TestServer;

namespace {

// A host at 10.213.<n>.2 in its own network namespace, serving HTTP on port 8080.
class TestHost {
 public:
  TestHost() : name_("hive-test-" + std::to_string(getpid())) {
    const std::string net = "10.213." + std::to_string(getpid() % 250) + ".";
    address_ = net + "2";
    const std::string veth = "hv" + std::to_string(getpid());
    for (const auto& cmd : std::vector<std::vector<std::string>>{
             {"ip", "netns", "add", name_},
             {"ip", "link", "add", veth + "a", "type", "veth", "peer", "name", veth + "b"},
             {"ip", "link", "set", veth + "b", "netns", name_},
             {"ip", "addr", "add", net + "1/30", "dev", veth + "a"},
             {"ip", "link", "set", veth + "a", "up"},
             {"ip", "netns", "exec", name_, "ip", "addr", "add", address_ + "/30", "dev",
              veth + "b"},
             {"ip", "netns", "exec", name_, "ip", "link", "set", veth + "b", "up"},
         }) {
      std::vector<std::string> argv{"/usr/bin/env"};
      argv.insert(argv.end(), cmd.begin(), cmd.end());
      auto out = run(argv);
      if (out.exit_code != 0) FAIL("test host set-up: " + out.err);
    }
    veth_ = veth + "a";
    server_ = fork();
    if (server_ == 0) {
      int quiet = open("/dev/null", O_WRONLY);
      dup2(quiet, 1);
      dup2(quiet, 2);
      execl("/usr/bin/ip", "ip", "netns", "exec", name_.c_str(), "/usr/bin/python3", "-m",
            "http.server", "8080", "--bind", address_.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    for (int i = 0; i < 100; ++i) {  // until it answers
      auto probe = run({"/usr/bin/curl", "-s", "-o", "/dev/null", "http://" + address_ + ":8080/"});
      if (probe.exit_code == 0) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  ~TestHost() {
    if (server_ > 0) {
      run({"/usr/bin/pkill", "-f", "http.server 8080 --bind " + address_});
      waitpid(server_, nullptr, 0);
    }
    run({"/usr/bin/ip", "link", "del", veth_});
    run({"/usr/bin/ip", "netns", "del", name_});
  }
  std::string url() const { return "http://" + address_ + ":8080/"; }

 private:
  std::string name_, address_, veth_;
  pid_t server_ = -1;
};

Sandbox spawn_on(Client& client, Network network) {
  SandboxSpec spec;
  spec.network = network;
  auto sb = client.spawn(spec);
  REQUIRE(sb);
  return *sb;
}

std::string fetch(const std::string& url) {
  return "python3 -c \"import urllib.request; print(urllib.request.urlopen('" + url +
         "', timeout=5).status)\"";
}

}  // namespace

TEST_CASE("egress reaches out through user-mode networking and nothing else", "[integration]") {
  TestHost host;
  TestServer server;
  auto client = server.client();

  auto egress = spawn_on(client, Network::Egress);
  auto reached = run_in(client, egress.id, fetch(host.url()));
  CHECK(reached.exit_code == 0);
  CHECK(reached.stdout_data == "200\n");
  auto devices = run_in(client, egress.id, "cut -d: -f1 /proc/net/dev | tail -n +3 | tr -d ' '");
  CHECK(devices.stdout_data == "lo\ntap0\n");  // no host interface in sight
  CHECK(run_in(client, egress.id, "cat /etc/resolv.conf").stdout_data == "nameserver 10.0.2.3\n");
  // The host's own loopback services (hive-server among them) stay out of reach.
  const std::string port = server.url().substr(server.url().rfind(':') + 1);
  auto loopback = run_in(client, egress.id,
                         "python3 -c \"import socket; socket.create_connection(('10.0.2.2', " +
                             port + "), timeout=3)\"");
  CHECK(loopback.exit_code != 0);

  auto isolated = spawn_on(client, Network::None);
  CHECK(run_in(client, isolated.id, fetch(host.url())).exit_code != 0);

  auto shared = spawn_on(client, Network::Host);
  CHECK(run_in(client, shared.id, fetch(host.url())).stdout_data == "200\n");

  auto agent = hive::test::agent_pid(egress.id);
  REQUIRE(!agent.empty());
  const std::string slirp = "slirp4netns.* " + agent + " tap0";  // it names the sandbox's pid
  CHECK_FALSE(run({"/usr/bin/pgrep", "-f", slirp}).out.empty());
  REQUIRE(client.deprovision(egress.id));
  CHECK(run({"/usr/bin/pgrep", "-f", slirp}).out.empty());  // gone with it
}
