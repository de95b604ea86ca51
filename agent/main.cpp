// hive-agent: PID 1 of every sandbox. In a local sandbox the server starts it in fresh
// namespaces with a listening Unix socket (--listen-fd), a mount plan (--plan-fd) and a pipe
// to report readiness on (--ready-fd); it applies the plan, reports "ok", and serves. In a
// Kubernetes Pod it is the container's entry point instead: it listens on TCP (--listen-tcp),
// admits only requests carrying the secret given in HIVE_AGENT_SECRET (healthz excepted), and
// starts the image's own command, given after "--", as a background process.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/signal_set.hpp>

#include "agent_api.hpp"
#include "common/agent_protocol.hpp"
#include "hive/sandbox/codec.hpp"
#include "sandbox_init.hpp"
#include "secret_gate.hpp"
#include "spawn_command.hpp"

namespace {

namespace asio = boost::asio;
namespace agent_protocol = hive::agent_protocol;
using hive::Result;

struct Options {
  int listen_fd = -1;
  int ready_fd = -1;
  int plan_fd = -1;
  std::string listen_path;
  std::string listen_tcp;
  std::vector<std::string> command;  // the image's own, after "--"
  std::string install_to;            // copy this binary there and exit (a Pod's init container)
  std::string hostname;
  std::string workdir = "/workspace";
  std::string user;  // the image's USER for every command; "" = root
  std::vector<int> command_cgroup_fds;
  int nofile = 0;  // RLIMIT_NOFILE of every command; 0 leaves the agent's own
};

Result<std::string> read_all(int fd) {
  std::string data;
  char buffer[8192];
  for (;;) {
    ssize_t n = read(fd, buffer, sizeof buffer);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      return hive::sys_error("read", "plan fd", errno);
    }
    data.append(buffer, static_cast<std::size_t>(n));
  }
  close(fd);
  return data;
}

Result<void> prepare_sandbox(const Options& options) {
  if (options.plan_fd >= 0) {
    auto text = read_all(options.plan_fd);
    if (!text) return text.error();
    auto json = hive::sandbox::parse_json(*text, 8);
    if (!json) return json.error();
    auto plan = hive::mount_plan_from_json(*json);
    if (!plan) return plan.error();
    if (auto r = hive::agent::apply_mount_plan(*plan); !r) return r;
  }
  if (!options.hostname.empty()) {
    if (auto r = hive::agent::set_hostname(options.hostname); !r) return r;
  }
  if (auto r = hive::agent::make_workdir(options.workdir); !r) return r;
  if (!options.user.empty()) {
    std::string why;
    auto user = hive::agent::resolve_user(options.user, why);
    if (!user) return hive::make_error(hive::Errc::invalid_argument, why);
    // The workspace is the user's to write in (the image's own directories stay as built).
    if (chown("/workspace", user->uid, user->gid) != 0 && errno != ENOENT) {
      return hive::sys_error("chown", "/workspace", errno);
    }
    hive::agent::set_command_user(std::move(*user));
  }
  if (getpid() == 1) {
    hive::agent::protect_from_oom_killer();
    if (auto r = hive::agent::bring_up_loopback(); !r) return r;
    if (auto r = hive::agent::drop_dangerous_capabilities(); !r) return r;
  }
  return hive::agent::confine_agent();
}

void report(int fd, const std::string& line) {
  if (fd < 0) return;
  if (write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
    // The runtime then times out waiting for us; this says why.
    std::fprintf(stderr, "hive-agent: report to fd %d: %s\n", fd, std::strerror(errno));
  }
  close(fd);
}

// An init container's job: put the static agent into the Pod's shared emptyDir, whatever
// (or however little) the agent image holds besides it.
int install_to(const std::string& dir) {
  std::error_code ec;
  const std::string target = dir + "/hive-agent";
  std::filesystem::copy_file("/proc/self/exe", target + ".tmp",
                             std::filesystem::copy_options::overwrite_existing, ec);
  if (!ec) std::filesystem::permissions(target + ".tmp", std::filesystem::perms(0755), ec);
  if (!ec) std::filesystem::rename(target + ".tmp", target, ec);
  if (ec) {
    std::fprintf(stderr, "hive-agent: install to %s: %s\n", dir.c_str(), ec.message().c_str());
    return 1;
  }
  return 0;
}

// The Pod's secret, taken out of the environment so no command started here inherits it,
// and wiped where it stood: /proc/PID/environ shows the block the process started with.
std::string take_secret() {
  char* value = getenv(agent_protocol::kSecretEnv);
  std::string secret = value == nullptr ? "" : value;
  if (value != nullptr) std::memset(value, 'x', secret.size());
  unsetenv(agent_protocol::kSecretEnv);
  return secret;
}

Result<asio::ip::tcp::endpoint> parse_tcp(const std::string& text) {
  auto colon = text.rfind(':');
  boost::system::error_code ec;
  auto address = asio::ip::make_address(colon == 0 ? "0.0.0.0" : text.substr(0, colon), ec);
  int port = colon == std::string::npos ? -1 : std::atoi(text.c_str() + colon + 1);
  if (colon == std::string::npos || ec || port <= 0 || port > 65535) {
    return hive::make_error(hive::Errc::invalid_argument,
                            "--listen-tcp '" + text + "' is not ADDRESS:PORT or :PORT");
  }
  return asio::ip::tcp::endpoint(address, static_cast<unsigned short>(port));
}

// Serves the API on TCP behind the secret gate (a Pod).
Result<void> listen_tcp(asio::io_context& io, const Options& options,
                        std::shared_ptr<hive::http::Service> api) {
  auto endpoint = parse_tcp(options.listen_tcp);
  if (!endpoint) return endpoint.error();
  std::string secret = take_secret();
  if (secret.empty()) {
    return hive::make_error(hive::Errc::invalid_argument,
                            "--listen-tcp needs the secret in HIVE_AGENT_SECRET");
  }
  using asio::ip::tcp;
  tcp::acceptor acceptor(io);
  boost::system::error_code ec;
  acceptor.open(endpoint->protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(*endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return hive::make_error(hive::Errc::unavailable, "listen: " + ec.message());
  auto gate = std::make_shared<hive::agent::SecretGate>(std::move(api), std::move(secret));
  std::make_shared<hive::http::Listener<tcp>>(
      std::move(acceptor), [&io] { return io.get_executor(); }, gate)
      ->start();
  return {};
}

// Serves the API on the inherited socket, a Unix path, or TCP.
Result<void> listen(asio::io_context& io, const Options& options,
                    std::shared_ptr<hive::agent::AgentApi> api) {
  if (!options.listen_tcp.empty()) return listen_tcp(io, options, std::move(api));
  using Local = asio::local::stream_protocol;
  Local::acceptor acceptor(io);
  boost::system::error_code ec;
  if (options.listen_fd >= 0) {
    acceptor.assign(Local(), options.listen_fd, ec);
  } else if (!options.listen_path.empty()) {
    unlink(options.listen_path.c_str());
    acceptor.open(Local(), ec);
    if (!ec) acceptor.bind(Local::endpoint(options.listen_path), ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  } else {
    return hive::make_error(hive::Errc::invalid_argument,
                            "one of --listen-fd, --listen, --listen-tcp is needed");
  }
  if (ec) return hive::make_error(hive::Errc::unavailable, "listen: " + ec.message());
  std::make_shared<hive::http::Listener<Local>>(
      std::move(acceptor), [&io] { return io.get_executor(); }, std::move(api))
      ->start();
  return {};
}

// A handler that throws must not end the sandbox: log it and serve on (Asio rethrows a
// handler's exception from run(), and run() may be called again afterwards).
void run_until_stopped(asio::io_context& io) {
  for (;;) {
    try {
      io.run();
      return;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "hive-agent: a handler threw, serving on: %s\n", e.what());
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  CLI::App app{"hive-agent: the daemon inside every Hive sandbox"};
  app.add_option("--listen-fd", options.listen_fd, "an inherited listening Unix socket");
  app.add_option("--listen", options.listen_path, "a Unix socket path to listen on");
  app.add_option("--ready-fd", options.ready_fd, "a pipe to write 'ok' or the error to");
  app.add_option("--plan-fd", options.plan_fd, "a pipe carrying the mount plan (JSON)");
  app.add_option("--hostname", options.hostname, "the sandbox's hostname");
  app.add_option("--workdir", options.workdir, "the default directory for commands");
  app.add_option("--user", options.user,
                 "USER[:GROUP] every command runs as (names from /etc/passwd)");
  app.add_option("--command-cgroup-fd", options.command_cgroup_fds,
                 "an inherited cgroup.procs every command joins (repeatable)");
  app.add_option("--nofile", options.nofile, "RLIMIT_NOFILE of every command (0: the agent's)")
      ->check(CLI::Range(0, 1 << 20));
  app.add_option("--listen-tcp", options.listen_tcp,
                 "ADDRESS:PORT to listen on (a Pod); needs HIVE_AGENT_SECRET");
  app.add_option("--install-to", options.install_to, "copy this binary into DIR and exit");
  app.add_option("command", options.command, "the image's command, run in the background")
      ->expected(-1);
  app.positionals_at_end();
  CLI11_PARSE(app, argc, argv);
  if (!options.install_to.empty()) return install_to(options.install_to);

  signal(SIGPIPE, SIG_IGN);
  hive::agent::set_command_nofile(options.nofile);
  if (auto r = prepare_sandbox(options); !r) {
    // "invalid:" is the spec's fault (a 400 to whoever asked), "error:" the sandbox's.
    const bool invalid = r.error().code == hive::Errc::invalid_argument;
    report(options.ready_fd, (invalid ? "invalid: " : "error: ") + r.error().message + "\n");
    return 1;
  }

  asio::io_context io{1};
  hive::agent::Children children(io);
  for (int fd : options.command_cgroup_fds) fcntl(fd, F_SETFD, FD_CLOEXEC);
  auto api = std::make_shared<hive::agent::AgentApi>(
      io, children, hive::agent::ExecDefaults{options.workdir, options.command_cgroup_fds});
  if (auto r = listen(io, options, api); !r) {
    report(options.ready_fd, "error: " + r.error().message + "\n");
    std::fprintf(stderr, "hive-agent: %s\n", r.error().message.c_str());
    return 1;
  }
  if (!options.command.empty()) {
    // A command that cannot start fails the spawn (as `docker run` does), not a sandbox
    // that looks started.
    if (auto r = api->start_background(options.command); !r) {
      const std::string why = "the image's command: " + r.error().message;
      report(options.ready_fd, "invalid: " + why + "\n");
      std::fprintf(stderr, "hive-agent: %s\n", why.c_str());
      return 1;
    }
  }

  // SIGTERM ends the sandbox: as PID 1, take every process of the namespace down with us.
  asio::signal_set stop(io, SIGTERM, SIGINT);
  stop.async_wait([&io](const boost::system::error_code&, int) {
    if (getpid() == 1) kill(-1, SIGKILL);
    io.stop();
  });
  report(options.ready_fd, "ok\n");
  run_until_stopped(io);
  return 0;
}
