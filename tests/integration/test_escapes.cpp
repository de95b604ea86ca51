// The escapes a hostile command would try (docs/security.md): each must fail inside the sandbox and
// leave the host, the server and other sandboxes untouched.
#include <catch2/catch.hpp>

#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "process.hpp"
#include "sandbox_handle.hpp"

using hive::test::TestServer;
using hive::test::trim;
namespace fs = std::filesystem;

namespace {

using Sandbox = hive::test::SandboxHandle;

Sandbox spawn(const TestServer& server) { return hive::test::spawn_sandbox(server); }

// A python3 one-liner calling a raw system call and printing its errno name.
std::string syscall_errno(const std::string& call) {
  return "python3 -c \"import ctypes, errno; libc = ctypes.CDLL(None, use_errno=True); "
         "r = libc.syscall(" +
         call + "); print(r, errno.errorcode.get(ctypes.get_errno(), 'ok'))\"";
}

}  // namespace

TEST_CASE("commands run with no_new_privs under the seccomp filter", "[integration][escape]") {
  TestServer server;
  auto sb = spawn(server);
  auto status = sb.sh("grep -E '^(NoNewPrivs|Seccomp):' /proc/self/status");
  CHECK_THAT(status.out, Catch::Contains("NoNewPrivs:\t1"));
  CHECK_THAT(status.out, Catch::Contains("Seccomp:\t2"));

  // Each refused with EPERM: keyctl, init_module, bpf, unshare(CLONE_NEWUSER), setns,
  // perf_event_open, userfaultfd, clock_settime; clone3 says ENOSYS so libc falls back.
  for (const char* call : {"250, 0, 0", "175, 0, 0, 0", "321, 0, 0, 0", "272, 0x10000000",
                           "308, 0, 0", "298, 0, 0, -1, -1, 0", "323, 0", "227, 0, 0"}) {
    INFO(call);
    CHECK(trim(sb.sh(syscall_errno(call)).out) == "-1 EPERM");
  }
  CHECK(trim(sb.sh(syscall_errno("435, 0, 0")).out) == "-1 ENOSYS");
  // What must keep working: threads (clone without namespaces), fork, ptrace of a child.
  auto threads = sb.sh(
      "python3 -c \"import threading; t = threading.Thread(target=print, args=('thread',)); "
      "t.start(); t.join()\" && sh -c 'echo forked' && (sleep 5 & cat /proc/$!/status | "
      "grep -c TracerPid)");
  CHECK(threads.exit_code == 0);
  CHECK(threads.out == "thread\nforked\n1\n");
}

TEST_CASE("mounting, new user namespaces and raw sockets fail", "[integration][escape]") {
  TestServer server;
  auto sb = spawn(server);
  auto mount = sb.sh("mount -t tmpfs none /tmp");
  CHECK(mount.exit_code != 0);
  CHECK_THAT(mount.err, Catch::Contains("ermission denied") || Catch::Contains("not permitted"));
  auto userns = sb.sh("unshare -Ur id");
  CHECK(userns.exit_code != 0);
  CHECK_THAT(userns.err, Catch::Contains("Operation not permitted"));
  // network "none" (the default): no raw socket, so no crafted packets, not even on loopback.
  auto raw = sb.sh(
      "python3 -c \"import socket; socket.socket(socket.AF_INET, socket.SOCK_RAW, "
      "socket.IPPROTO_ICMP)\"");
  CHECK(raw.exit_code != 0);
  CHECK_THAT(raw.err, Catch::Contains("PermissionError"));
  auto packet = sb.sh(
      "python3 -c \"import socket; socket.socket(socket.AF_PACKET, "
      "socket.SOCK_RAW)\"");
  CHECK(packet.exit_code != 0);
  CHECK_THAT(packet.err, Catch::Contains("PermissionError"));
}

TEST_CASE("/proc/1/root and the host's paths lead nowhere", "[integration][escape]") {
  TestServer server;
  auto sb = spawn(server);
  const std::string marker = "/tmp/hive-host-marker-" + std::to_string(getpid());
  std::ofstream(marker) << "host secret";
  // PID 1 is the agent, which keeps capabilities its commands lack: its /proc entries are
  // closed to them (ptrace access rules), and were they open, its root is the sandbox's.
  auto agent_root = sb.sh("readlink /proc/1/root");
  CHECK((agent_root.exit_code != 0 || trim(agent_root.out) == "/"));
  CHECK_THAT(sb.sh("ls /proc/1/root/").err, Catch::Contains("Permission denied"));
  CHECK(sb.sh("cat /proc/1/root" + marker).exit_code != 0);
  CHECK(sb.sh("cat " + marker).exit_code != 0);
  CHECK(sb.sh("ls /proc/1/root" + server.state_dir()).exit_code != 0);
  // Every /proc/N/root is a sandbox process's: none reaches the host's /tmp.
  CHECK(trim(sb.sh("cat /proc/[0-9]*/root" + marker + " 2>/dev/null | wc -c").out) == "0");
  fs::remove(marker);
}

TEST_CASE("a sandbox cannot read another's workspace or signal outside", "[integration][escape]") {
  TestServer server;
  auto a = spawn(server), b = spawn(server);
  REQUIRE(a.sh("echo secret-of-a > /workspace/a.txt").exit_code == 0);
  CHECK(trim(b.sh("ls -A /workspace").out).empty());
  CHECK(b.sh("cat " + server.state_dir() + "/sandboxes/" + a.id + "/workspace/a.txt").exit_code !=
        0);
  CHECK(trim(b.sh("cat /proc/*/root/workspace/a.txt 2>/dev/null | wc -c").out) == "0");
  // The files API resolves every path inside the sandbox it names.
  auto cp = server.hivectl(
      {"cp", b.id + ":../../" + a.id + "/workspace/a.txt", server.state_dir() + "/stolen"});
  CHECK(cp.exit_code != 0);
  CHECK_FALSE(fs::exists(server.state_dir() + "/stolen"));

  // The server's pid means nothing inside; kill -1 reaches only the sandbox's own processes.
  auto kill_server = b.sh("kill -9 " + std::to_string(server.pid()));
  CHECK(kill_server.exit_code != 0);
  b.sh("kill -9 -1");
  CHECK(::kill(server.pid(), 0) == 0);
  CHECK(trim(a.sh("cat /workspace/a.txt").out) == "secret-of-a");
  CHECK(b.sh("echo still-serving").out == "still-serving\n");
}
