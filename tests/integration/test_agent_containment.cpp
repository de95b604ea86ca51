// The agent, attacked as a hostile tenant or an LLM would through the calls it serves (files,
// MCP tools, exec): it must reach nothing a command could not — not the server's descriptors,
// not the host's kernel memory, not the sandbox's limits — and must never crash or hang for
// what a client or a command does.
#include <catch2/catch.hpp>

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "process.hpp"
#include "sandbox_handle.hpp"

using hive::test::TestServer;
using hive::test::trim;
namespace fs = std::filesystem;

namespace {

using Sandbox = hive::test::SandboxHandle;

Sandbox spawn(const TestServer& server, std::vector<std::string> flags = {}) {
  return hive::test::spawn_sandbox(server, std::move(flags));
}

std::string server_log(const TestServer& server) {
  return hive::test::slurp(server.state_dir() + "/server.log");
}

}  // namespace

TEST_CASE("the agent holds none of the server's descriptors, and no file call reopens its own",
          "[integration][escape][agent]") {
  TestServer server;
  auto sb = spawn(server);
  const std::string pid = hive::test::agent_pid(sb.id);
  REQUIRE(!pid.empty());
  // Its stdin and stdout are /dev/null, its stderr a log beside the workspace: never the
  // server's log file or the admin's terminal.
  CHECK(fs::read_symlink("/proc/" + pid + "/fd/0") == "/dev/null");
  CHECK(fs::read_symlink("/proc/" + pid + "/fd/1") == "/dev/null");
  CHECK(fs::read_symlink("/proc/" + pid + "/fd/2").filename() == "agent.log");

  server.hivectl({"exec", sb.id, "--", "ln", "-s", "/proc/1/fd/2", "/workspace/log"});
  server.hivectl({"exec", sb.id, "--", "ln", "-s", "/proc/self/environ", "/workspace/env"});
  const std::string before = server_log(server);
  for (const char* path :
       {"/proc/1/fd/1", "/proc/1/fd/2", "/proc/self/fd/3", "/proc/1/environ", "/proc/self/environ",
        "/proc/1/mem", "/workspace/log", "/workspace/env"}) {
    INFO(path);
    auto got = sb.curl({sb.files_url(path)});
    CHECK_THAT(got, Catch::EndsWith(" 403"));
    CHECK_THAT(got, Catch::Contains("leads outside"));
    auto read = sb.mcp("read_file", nlohmann::json{{"path", path}}.dump());
    CHECK(read.exit_code == 4);
    auto write =
        sb.mcp("write_file", nlohmann::json{{"path", path}, {"content", "\x1b[2J"}}.dump());
    CHECK(write.exit_code == 4);
    CHECK_THAT(sb.curl({"-X", "PUT", "--data-binary", "x", sb.files_url(path)}),
               Catch::EndsWith(" 403"));
  }
  CHECK_THAT(sb.curl({"-X", "PUT", "--data-binary", "1", sb.files_url("/proc/sys/vm/x")}),
             Catch::EndsWith(" 403"));
  // Nothing of the server's log was read or cut: it only grew.
  const std::string after = server_log(server);
  CHECK(after.size() >= before.size());
  CHECK(after.compare(0, before.size(), before) == 0);
  CHECK(after.find("\x1b[2J") == std::string::npos);
  // A regular file through the same calls still works.
  CHECK_THAT(sb.curl({"-X", "PUT", "--data-binary", "data", sb.files_url("/workspace/a")}),
             Catch::EndsWith(" 200"));
  CHECK(sb.curl({sb.files_url("/workspace/a")}) == "data 200");
}

TEST_CASE("the agent runs with the commands' privileges, not the server's",
          "[integration][escape][agent]") {
  TestServer server;
  auto sb = spawn(server);
  auto caps = sb.sh("grep CapEff /proc/1/status; grep CapEff /proc/self/status");
  REQUIRE(caps.exit_code == 0);
  auto lines = caps.out;
  auto newline = lines.find('\n');
  CHECK(lines.substr(0, newline) == lines.substr(newline + 1, lines.size() - newline - 2));
  CHECK_THAT(lines, !Catch::Contains("000001ff"));
  auto status = sb.sh("grep -E '^(NoNewPrivs|Seccomp):' /proc/1/status");
  CHECK_THAT(status.out, Catch::Contains("NoNewPrivs:\t1"));
  CHECK_THAT(status.out, Catch::Contains("Seccomp:\t2"));
  // Not dumpable: a command (root, with the same capabilities) cannot follow the agent's fds
  // or read its memory and environment.
  for (const char* path : {"/proc/1/fd/2", "/proc/1/environ", "/proc/1/mem"}) {
    INFO(path);
    auto opened = sb.sh(std::string("head -c 1 ") + path);
    CHECK(opened.exit_code != 0);
    CHECK_THAT(opened.err, Catch::Contains("ermission denied"));
  }
}

TEST_CASE("/proc is masked and read-only where the host's kernel shows through",
          "[integration][escape][agent]") {
  TestServer server;
  auto sb = spawn(server);
  auto sizes = sb.sh(
      "for f in /proc/kallsyms /proc/keys /proc/timer_list /proc/vmallocinfo /proc/kcore; do "
      "cat $f 2>/dev/null | wc -c; done; ls /proc/acpi | wc -l");
  CHECK(sizes.out == "0\n0\n0\n0\n0\n0\n");
  auto kallsyms = sb.mcp("read_file", R"({"path": "/proc/kallsyms"})");
  CHECK_THAT(kallsyms.out + kallsyms.err, !Catch::Contains(" T "));
  for (const char* file :
       {"/proc/irq/default_smp_affinity", "/proc/sysrq-trigger", "/proc/sys/kernel/hostname"}) {
    INFO(file);
    if (!fs::exists(file)) continue;  // not on every kernel
    auto wrote = sb.sh(std::string("echo 1 > ") + file);
    CHECK(wrote.exit_code != 0);
    CHECK_THAT(wrote.err, Catch::Contains("Read-only file system"));
  }
  // What a program legitimately reads is still there.
  CHECK(sb.sh("grep -c processor /proc/cpuinfo").exit_code == 0);
  CHECK(sb.mcp("read_file", R"({"path": "/proc/meminfo"})").exit_code == 0);
}

TEST_CASE("a FIFO, a device or a stopped agent ends the call, and the sandbox serves on",
          "[integration][agent]") {
  TestServer server;
  auto sb = spawn(server);
  REQUIRE(sb.sh("mkfifo /workspace/f").exit_code == 0);
  auto started = std::chrono::steady_clock::now();
  CHECK_THAT(sb.curl({"-m", "20", sb.files_url("/workspace/f")}), Catch::EndsWith(" 409"));
  CHECK(sb.mcp("read_file", R"({"path": "/workspace/f"})").exit_code == 4);
  CHECK(sb.mcp("write_file", R"({"path": "/workspace/f", "content": "x"})").exit_code == 4);
  CHECK_THAT(sb.curl({"-m", "20", sb.files_url("/dev/zero")}), Catch::EndsWith(" 409"));
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(15));
  CHECK(sb.sh("echo alive").out == "alive\n");

  // A stopped agent: the call ends with a 504 naming it, within seconds, not never.
  const std::string pid = hive::test::agent_pid(sb.id);
  REQUIRE(!pid.empty());
  kill(std::stoi(pid), SIGSTOP);
  started = std::chrono::steady_clock::now();
  auto stuck = sb.curl({"-m", "60", "-d", R"({"argv": ["true"], "timeout_seconds": 2})",
                        server.url() + "/v1/sandboxes/" + sb.id + "/exec"});
  auto took = std::chrono::steady_clock::now() - started;
  kill(std::stoi(pid), SIGCONT);
  CHECK_THAT(stuck, Catch::EndsWith(" 504"));
  CHECK_THAT(stuck, Catch::Contains("stopped answering"));
  CHECK(took < std::chrono::seconds(20));
  CHECK(sb.sh("echo again").out == "again\n");
  CHECK_THAT(server.hivectl({"get", sb.id}).out, Catch::Contains("Running"));
}

TEST_CASE("what the agent does for a client is charged to the sandbox's limits",
          "[integration][limits][agent]") {
  TestServer server;
  auto sb = spawn(server, {"--memory", "256Mi"});
  // /tmp and /dev/shm together within the limit (not half the host's RAM each).
  auto df = sb.sh("df -k /tmp /dev/shm | awk 'NR>1 {print $2}'");
  CHECK(df.out == std::to_string(192 * 1024) + "\n" + std::to_string(64 * 1024) + "\n");
  // A 300 MiB upload into /tmp meets the limit: 507 (a full disk), and nothing left behind.
  auto upload = hive::test::run(
      {"/bin/sh", "-c",
       "head -c 314572800 /dev/zero | curl -s -o - -w ' %{http_code}' -H 'Authorization: Bearer " +
           server.token() + "' -X PUT --data-binary @- '" + sb.files_url("/tmp/big") + "'"});
  CHECK_THAT(upload.out, Catch::EndsWith(" 507"));
  CHECK(sb.sh("ls /tmp | wc -l; du -sk /tmp | cut -f1").out == "0\n0\n");
  // The sandbox's whole group is bounded too, agent included.
  auto group =
      trim(hive::test::run({"/usr/bin/find", "/sys/fs/cgroup/memory", "/sys/fs/cgroup/unified",
                            "-maxdepth", "6", "-type", "d", "-name", sb.id})
               .out);
  REQUIRE(!group.empty());
  auto limit = hive::test::slurp(group + "/memory.limit_in_bytes");
  if (limit.empty()) limit = hive::test::slurp(group + "/memory.max");
  // The limit plus the agent's allowance (64 MiB; more in an ASan build), never unlimited.
  CHECK(std::stoll(limit) > 256LL << 20);
  CHECK(std::stoll(limit) <= (256LL + 1024) << 20);
  // A waited exec may not make the agent buffer a gigabyte.
  auto huge = sb.curl({"-d", R"({"argv": ["true"], "max_output_bytes": 1073741824})",
                       server.url() + "/v1/sandboxes/" + sb.id + "/exec"});
  CHECK_THAT(huge, Catch::EndsWith(" 400"));
  CHECK_THAT(huge, Catch::Contains("stream it"));
}

TEST_CASE("sandboxes get the operator's default limits, and a CPU the kernel cannot take is a 400",
          "[integration][limits][agent]") {
  TestServer server({"--default-memory", "1Gi", "--default-pids", "300"});
  auto sb = spawn(server);
  auto spec = nlohmann::json::parse(server.hivectl({"get", sb.id, "-o", "json"}).out);
  CHECK(spec["resources"]["memory"] == "1Gi");
  CHECK(spec["resources"]["pids"] == 300);
  CHECK(sb.sh("ulimit -n; ulimit -Hn").out == "4096\n4096\n");
  // Forking past the limit fails (EAGAIN) in the command; the sandbox lives on.
  auto forks = server.hivectl({"exec", sb.id, "--", "python3", "-c",
                               "import os, time\n"
                               "n = 0\n"
                               "try:\n"
                               "    for i in range(400):\n"
                               "        if os.fork() == 0:\n"
                               "            time.sleep(3)\n"
                               "            os._exit(0)\n"
                               "        n += 1\n"
                               "except OSError as e:\n"
                               "    print('stopped', e.errno)\n"
                               "print(n)\n"});
  CHECK_THAT(forks.out, Catch::StartsWith("stopped 11\n"));
  CHECK(std::stoi(forks.out.substr(forks.out.find('\n') + 1)) < 300);
  CHECK(sb.sh("echo alive").out == "alive\n");
  auto own = spawn(server, {"--memory", "512Mi"});
  auto own_spec = nlohmann::json::parse(server.hivectl({"get", own.id, "-o", "json"}).out);
  CHECK(own_spec["resources"]["memory"] == "512Mi");

  auto tiny_cpu = server.hivectl({"spawn", "--cpu", "1m"});
  CHECK(tiny_cpu.exit_code == 1);
  CHECK_THAT(tiny_cpu.err, Catch::Contains("10m"));
}

TEST_CASE("the agent survives slow readers that vanish and children that keep one pipe",
          "[integration][agent]") {
  TestServer server;
  auto sb = spawn(server);
  // A background child holds stdout while stderr closes: the drain timer once cancelled the
  // closed pipe and the throw ended the agent (and the sandbox, Failed agent-exit).
  auto held = sb.sh("sleep 2 2>/dev/null & echo started");
  CHECK(held.out == "started\n");
  // A streamed `yes` read slowly by a client that hangs up.
  for (int i = 0; i < 3; ++i) {
    hive::test::run({"/usr/bin/curl", "-s", "-o", "/dev/null", "-m", "2", "--limit-rate", "50K",
                     "-H", "Authorization: Bearer " + server.token(), "-H",
                     "Accept: application/x-ndjson", "-d", R"({"argv": ["yes"]})",
                     server.url() + "/v1/sandboxes/" + sb.id + "/exec"});
  }
  auto many = sb.sh("for i in $(seq 1 200); do sleep 3 & done 2>/dev/null; echo many");
  CHECK(many.out == "many\n");
  CHECK(sb.sh("echo alive").out == "alive\n");
  CHECK_THAT(server.hivectl({"get", sb.id}).out, Catch::Contains("Running"));
  CHECK(server_log(server).find("agent-exit") == std::string::npos);
}

TEST_CASE("no descriptor of the server's reaches a process Hive starts",
          "[integration][escape][agent]") {
  TestServer server;
  auto egress = spawn(server, {"--network", "egress"});
  auto plain = spawn(server);
  REQUIRE(egress.sh("sleep 30 >/dev/null 2>&1 & echo started").out == "started\n");
  auto sockets_of = [](const std::string& pid) {
    std::set<std::string> sockets;
    std::error_code ec;
    for (const auto& fd : fs::directory_iterator("/proc/" + pid + "/fd", ec)) {
      auto target = fs::read_symlink(fd.path(), ec).string();
      if (!ec && target.rfind("socket:", 0) == 0) sockets.insert(target);
    }
    return sockets;
  };
  const auto server_sockets = sockets_of(std::to_string(server.pid()));
  REQUIRE(!server_sockets.empty());
  // Every process in either sandbox's cgroups: agents, slirp4netns, commands.
  int checked = 0;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const auto pid = entry.path().filename().string();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    const auto cgroups = hive::test::slurp("/proc/" + pid + "/cgroup");
    if (cgroups.find(egress.id) == std::string::npos && cgroups.find(plain.id) == std::string::npos)
      continue;
    ++checked;
    INFO("pid " << pid << ": " << hive::test::slurp("/proc/" + pid + "/comm"));
    for (const auto& socket : sockets_of(pid)) CHECK(server_sockets.count(socket) == 0);
  }
  CHECK(checked >= 4);  // two agents, slirp4netns, the sleep
}
