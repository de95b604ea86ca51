// A hostile tenant's connection flood (no token needed) degrades the server, never destroys
// sandboxes: connections past the caps are refused at once, a server out of descriptors
// pauses its accepts, the reaper fails a sandbox only when its agent is really gone, and a
// teardown that failed is retried until the sandbox is down. All on loopback, bounded.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "hive/sandbox/client.hpp"
#include "process.hpp"

using namespace hive::sandbox;
using hive::test::TestServer;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

int port_of(const TestServer& server) {
  return std::stoi(server.url().substr(server.url().rfind(':') + 1));
}

sockaddr_in loopback(int last_octet, int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl((127u << 24) | static_cast<std::uint32_t>(last_octet));
  return addr;
}

// Idle connections to the server from 127.0.0.<first>..<first + addresses - 1>, round robin,
// that never send a byte; closed with the object.
class Flood {
 public:
  Flood(int port, int count, int first, int addresses) {
    const sockaddr_in server = loopback(1, port);
    for (int i = 0; i < count; ++i) {
      int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      REQUIRE(fd >= 0);
      fds_.push_back(fd);
      sockaddr_in from = loopback(first + i % addresses, 0);
      REQUIRE(bind(fd, reinterpret_cast<const sockaddr*>(&from), sizeof from) == 0);
      int rc = connect(fd, reinterpret_cast<const sockaddr*>(&server), sizeof server);
      REQUIRE((rc == 0 || errno == EINPROGRESS));
    }
    std::this_thread::sleep_for(1500ms);  // handshakes done, the server's answers in
  }
  ~Flood() {
    for (int fd : fds_) close(fd);
  }
  Flood(const Flood&) = delete;
  Flood& operator=(const Flood&) = delete;

  // Connections the server has neither answered nor closed.
  int still_open() const {
    int open = 0;
    for (int fd : fds_) {
      char byte = 0;
      ssize_t n = recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) ++open;
    }
    return open;
  }

 private:
  std::vector<int> fds_;
};

// GET path on a new connection from 127.0.0.1: the status, 0 when none came within `wait`.
int raw_status(int port, const std::string& path, std::chrono::milliseconds wait = 3000ms) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  timeval tv{static_cast<time_t>(wait.count() / 1000),
             static_cast<suseconds_t>(wait.count() % 1000 * 1000)};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);  // connect's too
  const sockaddr_in server = loopback(1, port);
  std::string answer;
  if (connect(fd, reinterpret_cast<const sockaddr*>(&server), sizeof server) == 0) {
    std::string request = "GET " + path + " HTTP/1.1\r\nHost: hive\r\nConnection: close\r\n\r\n";
    if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) > 0) {
      char buffer[4096];
      for (ssize_t n; (n = recv(fd, buffer, sizeof buffer, 0)) > 0;) {
        answer.append(buffer, static_cast<std::size_t>(n));
      }
    }
  }
  close(fd);
  if (answer.rfind("HTTP/1.1 ", 0) != 0 || answer.size() < 12) return 0;
  return std::stoi(answer.substr(9, 3));
}

int open_descriptors(pid_t pid) {
  int count = 0;
  std::error_code ec;
  for (auto it = fs::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
       it != fs::directory_iterator(); it.increment(ec)) {
    ++count;
  }
  return count;
}

int occurrences(const std::string& text, const std::string& what) {
  int count = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++count;
  return count;
}

std::vector<fs::path> cgroups_named(const std::string& id) {
  auto dirs = hive::test::cgroups_named(id);
  return {dirs.begin(), dirs.end()};
}

std::vector<std::string> spawn_some(Client& client, int count) {
  std::vector<std::string> ids;
  for (int i = 0; i < count; ++i) {
    auto sb = client.spawn({});
    REQUIRE(sb);
    ids.push_back(sb->id);
  }
  return ids;
}

// Every sandbox Running with no reason given, and answering an exec.
void check_all_serve(Client& client, const std::vector<std::string>& ids) {
  for (const auto& id : ids) {
    auto sb = client.get(id);
    REQUIRE(sb);
    CHECK(sb->state == State::Running);
    CHECK(sb->reason.empty());
    ExecRequest echo;
    echo.argv = {"echo", "ok"};
    auto out = client.exec(id, echo);
    REQUIRE(out);
    CHECK(out->stdout_data == "ok\n");
  }
}

}  // namespace

TEST_CASE("a connection flood is capped per address and in total and destroys nothing",
          "[integration][flood]") {
  TestServer server({"--max-connections", "300", "--max-connections-per-address", "100"});
  auto client = server.client();
  const int port = port_of(server);
  auto ids = spawn_some(client, 3);
  {
    Flood one_address(port, 2000, 2, 1);  // 127.0.0.2
    CHECK(one_address.still_open() <= 100);
    CHECK(raw_status(port, "/healthz") == 200);  // other addresses are served
    check_all_serve(client, ids);
    {
      Flood many(port, 2000, 3, 10);  // 127.0.0.3-12: the total cap
      CHECK(one_address.still_open() + many.still_open() <= 300);
      CHECK(open_descriptors(server.pid()) < 300 + 100);
      auto asked = std::chrono::steady_clock::now();
      CHECK(raw_status(port, "/healthz") == 503);  // refused at once, not queued
      CHECK(std::chrono::steady_clock::now() - asked < 1s);
    }
    std::this_thread::sleep_for(300ms);  // the server sees those hang up
    CHECK(raw_status(port, "/healthz") == 200);
  }
  check_all_serve(client, ids);
  auto log = hive::test::slurp(server.state_dir() + "/server.log");
  CHECK(occurrences(log, "connection cap reached") == 1);
}

TEST_CASE("a server out of descriptors pauses its accepts and fails no sandbox",
          "[integration][flood]") {
#if defined(__SANITIZE_ADDRESS__)
  // At EMFILE the sanitizers' own runtime cannot check a virtual call's type and aborts the
  // server (a false "invalid vptr" in Boost.System); the release suite runs this case.
  SUCCEED("skipped under the sanitizers");
  return;
#endif
  TestServer server;
  auto client = server.client();
  const int port = port_of(server);
  auto ids = spawn_some(client, 3);
  // The trial's state: the server at its descriptor limit (here a low one, set from outside,
  // so that the caps derived at start do not apply), its agents healthy.
  const rlim_t limit = static_cast<rlim_t>(open_descriptors(server.pid()) + 64);
  const rlimit low{limit, limit};
  REQUIRE(prlimit(server.pid(), RLIMIT_NOFILE, &low, nullptr) == 0);
  {
    Flood flood(port, 1500, 2, 5);
    CHECK(open_descriptors(server.pid()) >= static_cast<int>(limit) - 2);
    // Long enough for several of the reaper's agent checks (every 2 s) at the limit.
    std::this_thread::sleep_for(6s);
  }
  // The backlog drains (each queued connection found closed), then the server serves again.
  int status = 0;
  for (int i = 0; i < 40 && status != 200; ++i) {
    status = raw_status(port, "/healthz", 500ms);
    if (status != 200) std::this_thread::sleep_for(250ms);
  }
  CHECK(status == 200);
  check_all_serve(client, ids);
  auto log = hive::test::slurp(server.state_dir() + "/server.log");
  CHECK(occurrences(log, "pausing accepts") == 1);
  CHECK(occurrences(log, "agent-exit") == 0);
}

TEST_CASE("a connection that never sends a byte is closed after --request-timeout",
          "[integration][flood]") {
  TestServer server({"--request-timeout", "2"});
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const sockaddr_in addr = loopback(1, port_of(server));
  REQUIRE(connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0);
  auto started = std::chrono::steady_clock::now();
  pollfd pfd{fd, POLLIN, 0};
  REQUIRE(poll(&pfd, 1, 8000) == 1);
  auto took = std::chrono::steady_clock::now() - started;
  char byte = 0;
  CHECK(recv(fd, &byte, 1, 0) <= 0);  // closed, with nothing said
  CHECK(took >= 1500ms);
  CHECK(took < 4s);
  close(fd);
}

TEST_CASE("an agent killed for real after a flood is still reaped and torn down",
          "[integration][flood]") {
  TestServer server({"--max-connections", "100"});
  auto client = server.client();
  auto ids = spawn_some(client, 2);
  { Flood flood(port_of(server), 500, 2, 5); }
  auto agent = hive::test::agent_pid(ids[0]);
  REQUIRE(!agent.empty());
  REQUIRE(!cgroups_named(ids[0]).empty());
  hive::test::run({"/bin/kill", "-9", agent});
  Sandbox ended;
  for (int i = 0; i < 200; ++i) {
    auto sb = client.get(ids[0]);
    REQUIRE(sb);
    ended = *sb;
    if (is_final(ended.state)) break;
    std::this_thread::sleep_for(50ms);
  }
  CHECK(ended.state == State::Failed);
  CHECK(ended.reason == "agent-exit");
  CHECK_FALSE(fs::exists(server.state_dir() + "/sandboxes/" + ids[0]));
  CHECK(cgroups_named(ids[0]).empty());
  check_all_serve(client, {ids[1]});
}

TEST_CASE("a teardown that failed is retried until the sandbox is gone", "[integration][flood]") {
  const fs::path freezer = "/sys/fs/cgroup/freezer";
  if (!fs::exists(freezer / "cgroup.procs")) {
    WARN("no cgroup v1 freezer here: skipped");
    return;
  }
  TestServer server;
  auto client = server.client();
  auto sb = client.spawn({});
  REQUIRE(sb);
  auto groups = cgroups_named(sb->id);
  REQUIRE(!groups.empty());
  // A process no SIGKILL ends while it is frozen (cgroup v1), placed in the sandbox's cgroups:
  // the teardown cannot remove them and fails.
  pid_t stuck = fork();
  if (stuck == 0) {
    execl("/bin/sleep", "sleep", "300", nullptr);
    _exit(127);
  }
  REQUIRE(stuck > 0);
  const fs::path ice = freezer / ("hive-flood-test-" + std::to_string(getpid()));
  fs::create_directory(ice);
  std::ofstream(ice / "cgroup.procs") << stuck << "\n";
  std::ofstream(ice / "freezer.state") << "FROZEN\n";
  // However the case ends, the frozen sleep goes: left behind, it would hold ctest's output
  // pipe for 300 s.
  struct Thaw {
    pid_t pid;
    fs::path ice;
    void now() {             // SIGKILL stays pending while it is frozen; thawing ends it
      if (pid <= 0) return;  // never kill(-1): that is every process
      kill(pid, SIGKILL);
      std::ofstream(ice / "freezer.state") << "THAWED\n";
      waitpid(pid, nullptr, 0);
      pid = -1;
    }
    ~Thaw() {
      now();
      std::error_code ec;
      fs::remove(ice, ec);
    }
  } thaw{stuck, ice};
  for (const auto& group : groups) {
    if (fs::exists(group / "work")) std::ofstream(group / "work" / "cgroup.procs") << stuck << "\n";
  }
  auto deprovisioned = client.deprovision(sb->id);
  CHECK_FALSE(deprovisioned);
  auto failed = client.get(sb->id);
  REQUIRE(failed);
  CHECK(failed->state == State::Failed);
  CHECK(failed->reason == "teardown-failed");
  CHECK(hive::test::agent_pid(sb->id).empty());  // its agent is down already
  thaw.now();
  bool gone = false;
  for (int i = 0; i < 300 && !gone; ++i) {
    auto now = client.get(sb->id);
    gone = !now && now.error().code == hive::Errc::not_found;
    if (!gone) std::this_thread::sleep_for(50ms);
  }
  CHECK(gone);
  CHECK(cgroups_named(sb->id).empty());
  CHECK_FALSE(fs::exists(server.state_dir() + "/sandboxes/" + sb->id));
}
