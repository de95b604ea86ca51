// hive-agent: PID 1 of every sandbox. In a local sandbox the server starts it in fresh
// namespaces with a listening Unix socket (--listen-fd), a mount plan (--plan-fd) and a pipe
// to report readiness on (--ready-fd); it applies the plan, reports "ok", and serves.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/signal_set.hpp>

#include "agent_api.hpp"
#include "hive/sandbox/codec.hpp"
#include "sandbox_init.hpp"
#include "spawn_command.hpp"

namespace {

namespace asio = boost::asio;
using hive::Result;

struct Options {
  int listen_fd = -1;
  int ready_fd = -1;
  int plan_fd = -1;
  std::string listen_path;
  std::string hostname;
  std::string workdir = "/workspace";
  std::vector<int> command_cgroup_fds;
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
    auto plan = hive::runtime::mount_plan_from_json(*json);
    if (!plan) return plan.error();
    if (auto r = hive::agent::apply_mount_plan(*plan); !r) return r;
  }
  if (!options.hostname.empty()) {
    if (auto r = hive::agent::set_hostname(options.hostname); !r) return r;
  }
  if (getpid() == 1) {
    hive::agent::protect_from_oom_killer();
    if (auto r = hive::agent::bring_up_loopback(); !r) return r;
    if (auto r = hive::agent::drop_dangerous_capabilities(); !r) return r;
  }
  return {};
}

void report(int fd, const std::string& line) {
  if (fd < 0) return;
  ssize_t ignored = write(fd, line.data(), line.size());
  (void)ignored;
  close(fd);
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
  app.add_option("--command-cgroup-fd", options.command_cgroup_fds,
                 "an inherited cgroup.procs every command joins (repeatable)");
  CLI11_PARSE(app, argc, argv);

  signal(SIGPIPE, SIG_IGN);
  if (auto r = prepare_sandbox(options); !r) {
    report(options.ready_fd, "error: " + r.error().message + "\n");
    return 1;
  }

  asio::io_context io{1};
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
    ec = asio::error::invalid_argument;
  }
  if (ec) {
    report(options.ready_fd, "error: listen: " + ec.message() + "\n");
    return 1;
  }

  hive::agent::Children children(io);
  for (int fd : options.command_cgroup_fds) fcntl(fd, F_SETFD, FD_CLOEXEC);
  auto api = std::make_shared<hive::agent::AgentApi>(
      io, children, hive::agent::ExecDefaults{options.workdir, options.command_cgroup_fds});
  std::make_shared<hive::http::Listener<Local>>(
      std::move(acceptor), [&io] { return io.get_executor(); }, api)
      ->start();

  // SIGTERM ends the sandbox: as PID 1, take every process of the namespace down with us.
  asio::signal_set stop(io, SIGTERM, SIGINT);
  stop.async_wait([&io](const boost::system::error_code&, int) {
    if (getpid() == 1) kill(-1, SIGKILL);
    io.stop();
  });
  report(options.ready_fd, "ok\n");
  io.run();
  return 0;
}
