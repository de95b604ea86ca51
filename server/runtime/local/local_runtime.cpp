#include "runtime/local/local_runtime.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include <spdlog/spdlog.h>

#include "common/unique_fd.hpp"
#include "hive/sandbox/codec.hpp"
#include "runtime/local/egress.hpp"
#include "runtime/local/process_liveness.hpp"
#include "runtime/local/spawn.hpp"

namespace hive::server::local {
namespace {

namespace fs = std::filesystem;
using sandbox::Network;

constexpr int kAgentReadyTimeoutMs = 10'000;

Result<void> make_dir(const std::string& path, mode_t mode) {
  if (mkdir(path.c_str(), mode) != 0 && errno != EEXIST) return sys_error("mkdir", path, errno);
  return {};
}

Result<UniqueFd> listen_unix(const std::string& path) {
  sockaddr_un addr{};
  if (path.size() >= sizeof addr.sun_path) {
    return make_error(Errc::internal, "socket path '" + path + "' is longer than " +
                                          std::to_string(sizeof addr.sun_path - 1) +
                                          " bytes; use a shorter --state-dir");
  }
  UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return sys_error("socket", "AF_UNIX", errno);
  addr.sun_family = AF_UNIX;
  path.copy(addr.sun_path, path.size());
  unlink(path.c_str());
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    return sys_error("bind", path, errno);
  }
  chmod(path.c_str(), 0600);
  if (listen(fd.get(), SOMAXCONN) != 0) return sys_error("listen", path, errno);
  return fd;
}

struct PipeFds {
  UniqueFd read, write;
};

Result<PipeFds> make_pipe() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return sys_error("pipe2", "", errno);
  return PipeFds{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

// Reads the agent's one-line report: "ok", "error: ...", or EOF if it died first.
Result<void> wait_ready(int fd, int timeout_ms) {
  std::string line;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (line.find('\n') == std::string::npos) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    pollfd pfd{fd, POLLIN, 0};
    int rc = left > 0 ? poll(&pfd, 1, static_cast<int>(left)) : 0;
    if (rc < 0 && errno == EINTR) continue;
    if (rc == 0) return make_error(Errc::timeout, "hive-agent did not report ready in time");
    char buffer[512];
    ssize_t n = read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return make_error(Errc::internal, "hive-agent exited before it was ready");
    line.append(buffer, static_cast<std::size_t>(n));
  }
  line.resize(line.find('\n'));
  if (line == "ok") return {};
  if (line.rfind("invalid: ", 0) == 0) return make_error(Errc::invalid_argument, line.substr(9));
  if (line.rfind("error: ", 0) == 0) line = line.substr(7);
  return make_error(Errc::internal, "hive-agent: " + line);
}

// Waits for pid to exit, up to timeout_ms; true once it has.
bool wait_exit(int pid, int timeout_ms) {
  UniqueFd pidfd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
  if (!pidfd.valid()) return errno == ESRCH;
  pollfd pfd{pidfd.get(), POLLIN, 0};
  return poll(&pfd, 1, timeout_ms) > 0;
}

// The commands' environment: the defaults, then the image's ENV, then the spawn's env (a later
// entry of the same name wins, as the agent passes the last).
std::vector<std::string> agent_env(const sandbox::Sandbox& sb, const images::Image* image) {
  std::vector<std::string> env{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                               "HOME=/root", "LANG=C.UTF-8", "HOSTNAME=" + sb.id};
  if (image != nullptr) {
    for (const auto& entry : image->config.env) {
      const std::string key = entry.substr(0, entry.find('='));
      std::erase_if(
          env, [&](const std::string& e) { return e.compare(0, key.size() + 1, key + "=") == 0; });
      env.push_back(entry);
    }
  }
  for (const auto& [key, value] : sb.spec.env) {
    std::erase_if(
        env, [&](const std::string& e) { return e.compare(0, key.size() + 1, key + "=") == 0; });
    env.push_back(key + "=" + value);
  }
  return env;
}

Result<void> write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  if (!(out << text) || !out.flush()) return sys_error("write", path, errno);
  return {};
}

// What the agent wrote to stderr (an exception it survived, or its last words), into the
// server's log before the sandbox's directory goes; the first 4 KiB at most.
void report_agent_log(const std::string& id, const std::string& path) {
  std::ifstream in(path);
  std::string text(4096, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  while (!text.empty() && (text.back() == '\n' || text.back() == '\0')) text.pop_back();
  if (!text.empty()) spdlog::warn("sandbox {}: its agent said: {}", id, text);
}

}  // namespace

std::string agent_log(const std::string& sandbox_dir) { return sandbox_dir + "/agent.log"; }

ProcStat proc_stat(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // The command name (field 2) may hold spaces and parentheses; count from the last ')'.
  auto close = stat.rfind(')');
  if (close == std::string::npos) return {};
  std::istringstream fields(stat.substr(close + 2));
  ProcStat result;
  std::string value;
  for (int field = 3; field <= 22 && fields >> value; ++field) {
    if (field == 3) result.state = value;
    if (field == 22) result.start_time = value;
  }
  return result;
}

Result<std::unique_ptr<LocalRuntime>> LocalRuntime::create(LocalRuntimeOptions options) {
  std::unique_ptr<LocalRuntime> runtime(new LocalRuntime(std::move(options)));
  if (auto r = runtime->prepare(); !r) return r.error();
  return runtime;
}

Result<void> LocalRuntime::prepare() {
  cgroups_ = detect_cgroups();
  host_ = scan_host_root();
  if (auto r = make_dir(options_.state_dir + "/sandboxes", 0700); !r) return r;
  egress_resolv_conf_ = options_.state_dir + "/resolv-egress.conf";
  if (!(std::ofstream(egress_resolv_conf_) << kEgressResolvConf)) {
    return sys_error("write", egress_resolv_conf_, errno);
  }
  // Every sandbox mounts its root tmpfs here, each in its own mount namespace.
  root_mount_ = options_.state_dir + "/rootfs";
  if (auto r = make_dir(root_mount_, 0755); !r) return r;
  // Overlay whiteouts (0:0 character devices) hide /etc's secrets from every sandbox.
  etc_mask_ = options_.state_dir + "/etc-mask";
  if (auto r = make_dir(etc_mask_, 0755); !r) return r;
  for (const auto& secret : etc_secrets("/etc")) {
    fs::path path = fs::path(etc_mask_) / secret;
    std::error_code ec;
    fs::create_directories(path.parent_path(), ec);
    if (mknod(path.c_str(), S_IFCHR | 0000, makedev(0, 0)) != 0 && errno != EEXIST) {
      return sys_error("mknod whiteout", path.string(), errno);
    }
  }
  return check();
}

// A CPU limit past the machine's CPUs would be a quota the kernel takes and never gives: refused
// as docker refuses `--cpus 64` on two cores.
Result<void> LocalRuntime::admit(const sandbox::SandboxSpec& spec) {
  if (spec.start && spec.image == "host") {
    return make_error(Errc::invalid_argument,
                      "start runs an image's Entrypoint and Cmd, and image 'host' has none");
  }
  if (spec.image != "host") {  // a reference that could never be pulled makes no record
    if (options_.images == nullptr) {
      return make_error(Errc::invalid_argument,
                        "image '" + spec.image + "': this server runs only image 'host'");
    }
    if (auto ref = images::parse_reference(spec.image); !ref) return ref.error();
  }
  if (spec.resources.cpu.empty()) return {};
  auto millis = sandbox::parse_cpu_millis(spec.resources.cpu);
  if (!millis) return millis.error().context("resources.cpu");
  cpu_set_t cpus;
  CPU_ZERO(&cpus);
  if (sched_getaffinity(0, sizeof cpus, &cpus) != 0) return {};
  const int count = CPU_COUNT(&cpus);
  if (*millis <= count * 1000LL) return {};
  return make_error(Errc::invalid_argument,
                    "resources.cpu '" + spec.resources.cpu + "' is more than this machine's " +
                        std::to_string(count) + " CPU" + (count == 1 ? "" : "s") +
                        " (the most is " + std::to_string(count) + ")");
}

bool LocalRuntime::needs_pull(const sandbox::SandboxSpec& spec) {
  return spec.image != "host" && options_.images != nullptr && !options_.images->find(spec.image);
}

Result<void> LocalRuntime::pull(const sandbox::SandboxSpec& spec) {
  if (spec.image == "host" || options_.images == nullptr) return {};
  auto pulled = options_.images->ensure(spec.image, images::PullPolicy::missing);
  if (!pulled) return pulled.error();
  return {};
}

Result<void> LocalRuntime::check() {
  if (geteuid() != 0) {
    return make_error(Errc::unavailable,
                      "the local runtime needs root (namespaces, mounts and cgroups)");
  }
  if (access(options_.agent_path.c_str(), X_OK) != 0) {
    return sys_error("hive-agent", options_.agent_path, errno);
  }
  if (access(options_.state_dir.c_str(), W_OK) != 0) {
    return sys_error("write to the state directory", options_.state_dir, errno);
  }
  return {};
}

std::string LocalRuntime::sandbox_dir(const std::string& id) const {
  return options_.state_dir + "/sandboxes/" + id;
}

Result<Placement> LocalRuntime::start(const sandbox::Sandbox& sb, const std::string&) {
  const std::string dir = sandbox_dir(sb.id);
  Placement placement;
  nlohmann::json& data = placement.runtime_data;
  data = {{"dir", dir}, {"socket", dir + "/agent.sock"}, {"cgroups", nlohmann::json::array()}};
  // Whatever fails from here on, stop() removes what was made so far.
  auto fail = [&](Error error) -> Result<Placement> {
    (void)stop(sb.id, data);
    return error.context("while starting sandbox " + sb.id);
  };
  for (const char* sub : {"", "/workspace"}) {
    if (auto r = make_dir(dir + sub, 0755); !r) return fail(r.error());
  }
  std::optional<images::Image> image;
  if (sb.spec.image != "host") {
    if (options_.images == nullptr) {
      return fail(make_error(Errc::invalid_argument,
                             "image '" + sb.spec.image + "': this server runs only image 'host'"));
    }
    auto pulled = options_.images->ensure(sb.spec.image, images::PullPolicy::missing);
    if (!pulled) return fail(pulled.error());
    image = std::move(*pulled);
    options_.images->add_user(image->name, sb.id);
    data["image"] = image->name;
  }
  std::vector<std::string> start;
  if (sb.spec.start && image) {
    start = images::start_command(image->config);
    if (start.empty()) {
      return fail(make_error(Errc::invalid_argument,
                             "start runs the image's Entrypoint and Cmd, "
                             "and image '" +
                                 image->name + "' has neither"));
    }
  }
  auto cgroup_dirs = create_cgroups(cgroups_, sb.id, sb.spec.resources);
  if (!cgroup_dirs) return fail(cgroup_dirs.error());
  data["cgroups"] = *cgroup_dirs;
  std::vector<UniqueFd> procs;
  AgentLaunch launch;
  for (const auto& cg : *cgroup_dirs) {
    for (const auto& group : {agent_group(cgroups_, cg), work_group(cg)}) {
      procs.emplace_back(open((group + "/cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC));
      if (!procs.back().valid()) return fail(sys_error("open", group + "/cgroup.procs", errno));
    }
    launch.cgroup_procs_fds.push_back(procs[procs.size() - 2].get());
    launch.command_cgroup_fds.push_back(procs.back().get());
  }
  if (launch.command_cgroup_fds.size() > kMaxCgroupHierarchies) {
    return fail(make_error(Errc::internal, "more cgroup hierarchies than the agent takes"));
  }
  auto listener = listen_unix(data["socket"]);
  auto ready = make_pipe();
  auto plan_pipe = make_pipe();
  if (!listener) return fail(listener.error());
  if (!ready) return fail(ready.error());
  if (!plan_pipe) return fail(plan_pipe.error());
  // The plan is a few KiB: it fits the pipe's buffer, so writing it first cannot block.
  auto mount_plan = root_plan(sb, dir, image ? &*image : nullptr);
  if (!mount_plan) return fail(mount_plan.error());
  const std::string plan = sandbox::dump(to_json(*mount_plan));
  if (write(plan_pipe->write.get(), plan.data(), plan.size()) !=
      static_cast<ssize_t>(plan.size())) {
    return fail(sys_error("write", "mount plan", errno));
  }
  plan_pipe->write.reset();

  launch.agent_path = options_.agent_path;
  launch.argv = {"hive-agent",
                 "--listen-fd",
                 std::to_string(kAgentListenFd),
                 "--ready-fd",
                 std::to_string(kAgentReadyFd),
                 "--plan-fd",
                 std::to_string(kAgentPlanFd),
                 "--hostname",
                 sb.id,
                 "--workdir",
                 sb.spec.workdir};
  if (image) {
    // The image's WORKDIR and USER, unless the spawn chose a directory of its own.
    if (!image->config.workdir.empty() && sb.spec.workdir == sandbox::SandboxSpec{}.workdir) {
      launch.argv.back() = image->config.workdir;
    }
    if (!image->config.user.empty()) {
      launch.argv.push_back("--user");
      launch.argv.push_back(image->config.user);
    }
  }
  if (options_.command_nofile > 0) {
    launch.argv.push_back("--nofile");
    launch.argv.push_back(std::to_string(options_.command_nofile));
  }
  for (std::size_t i = 0; i < launch.command_cgroup_fds.size(); ++i) {
    launch.argv.push_back("--command-cgroup-fd");
    launch.argv.push_back(std::to_string(kAgentCommandCgroupFd + static_cast<int>(i)));
  }
  if (!start.empty()) {
    launch.argv.push_back("--");
    launch.argv.insert(launch.argv.end(), start.begin(), start.end());
  }
  launch.env = agent_env(sb, image ? &*image : nullptr);
  UniqueFd null_fd(open("/dev/null", O_RDWR | O_CLOEXEC));
  UniqueFd log_fd(open(agent_log(dir).c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
  if (!null_fd.valid()) return fail(sys_error("open", "/dev/null", errno));
  if (!log_fd.valid()) return fail(sys_error("open", agent_log(dir), errno));
  launch.null_fd = null_fd.get();
  launch.log_fd = log_fd.get();
  launch.listen_fd = listener->get();
  launch.ready_fd = ready->write.get();
  launch.plan_fd = plan_pipe->read.get();
  launch.namespaces = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC;
  if (sb.spec.network != Network::Host) launch.namespaces |= CLONE_NEWNET;
  auto pid = launch_agent(launch);
  if (!pid) return fail(pid.error());
  data["pid"] = *pid;
  data["disk_limited"] = !sb.spec.resources.disk.empty();
  data["start_time"] = proc_stat(*pid).start_time;
  ready->write.reset();  // so EOF means the agent (and every copy of the pipe) is gone
  if (auto r = wait_ready(ready->read.get(), kAgentReadyTimeoutMs); !r) return fail(r.error());
  if (sb.spec.network == Network::Egress) {
    std::vector<std::string> agent_groups;
    for (const auto& cg : *cgroup_dirs) agent_groups.push_back(agent_group(cgroups_, cg));
    auto slirp = start_egress(*pid, agent_groups, agent_log(dir));
    if (!slirp) return fail(slirp.error());
    data["slirp_pid"] = *slirp;
  }
  placement.endpoint = endpoint(sb.id, data);
  return placement;
}

Result<MountPlan> LocalRuntime::root_plan(const sandbox::Sandbox& sb, const std::string& dir,
                                          const images::Image* image) {
  HostRootPlanInput input{root_mount_, dir + "/workspace", etc_mask_, host_};
  if (!sb.spec.resources.disk.empty()) {
    auto bytes = sandbox::parse_byte_quantity(sb.spec.resources.disk);
    if (!bytes) return bytes.error();
    input.disk_bytes = *bytes;
  }
  if (!sb.spec.resources.memory.empty()) {
    auto bytes = sandbox::parse_byte_quantity(sb.spec.resources.memory);
    if (!bytes) return bytes.error();
    input.memory_bytes = *bytes;
  }
  if (sb.spec.network == Network::Egress) input.resolv_conf = egress_resolv_conf_;
  if (image == nullptr) return host_root_plan(input);
  const std::string hosts =
      "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
      "127.0.1.1\t" +
      sb.id + "\n";
  if (auto r = write_file(dir + "/hosts", hosts); !r) return r.error();
  if (auto r = write_file(dir + "/hostname", sb.id + "\n"); !r) return r.error();
  ImageRootPlanInput image_input{input, options_.images->layers_root(), {}, dir};
  for (auto it = image->layers.rbegin(); it != image->layers.rend(); ++it) {
    image_input.layers.push_back(it->substr(7));  // the directory is the digest's hex
  }
  return image_root_plan(image_input);
}

Result<void> LocalRuntime::stop(const std::string& id, const nlohmann::json& data) {
  int pid = data.value("pid", 0);
  if (pid > 0 && alive(id, data)) {
    kill(pid, SIGTERM);  // the agent takes its whole pid namespace down
    if (!wait_exit(pid, options_.stop_grace_ms)) {
      kill(pid, SIGKILL);
      wait_exit(pid, 5000);
    }
  }
  // Reap it if it is our child; after a server restart it is init's.
  if (pid > 0) waitpid(pid, nullptr, WNOHANG);
  // A record whose spawn was cut off by a crash may lack runtime data: derive it from the id.
  std::vector<std::string> cgroup_dirs;
  if (data.contains("cgroups")) {
    cgroup_dirs = data["cgroups"].get<std::vector<std::string>>();
  } else {
    for (const auto& h : cgroups_.hierarchies) cgroup_dirs.push_back(h.parent + "/" + id);
  }
  auto cgroups_removed = remove_cgroups(cgroup_dirs);  // slirp4netns goes with them
  if (int slirp = data.value("slirp_pid", 0); slirp > 0) waitpid(slirp, nullptr, WNOHANG);
  std::error_code ec;
  const std::string dir = data.value("dir", sandbox_dir(id));
  report_agent_log(id, agent_log(dir));
  fs::remove_all(dir, ec);
  if (options_.images != nullptr && data.contains("image")) options_.images->remove_user(id);
  if (!cgroups_removed) return cgroups_removed;
  if (ec) return sys_error("remove", dir, ec.value());
  return {};
}

AgentEndpoint LocalRuntime::endpoint(const std::string&, const nlohmann::json& data) const {
  AgentEndpoint endpoint;
  endpoint.unix_path = data.value("socket", "");
  return endpoint;
}

std::string LocalRuntime::condition(const std::string&, const nlohmann::json& data) {
  auto hits = limit_hit(data.value("cgroups", std::vector<std::string>{}));
  if (!data.value("disk_limited", false)) return hits;
  // The sandbox's root tmpfs, seen through its PID 1: full now, whatever was hit before.
  struct statvfs vfs {};
  std::string root = "/proc/" + std::to_string(data.value("pid", 0)) + "/root/";
  if (statvfs(root.c_str(), &vfs) == 0 && vfs.f_bavail * vfs.f_bsize < 64 * 1024) {
    hits += std::string(hits.empty() ? "" : ", ") + "disk-full";
  }
  return hits;
}

void LocalRuntime::adopted(const std::string& id, const nlohmann::json& data) {
  if (options_.images != nullptr && data.contains("image") && data["image"].is_string()) {
    options_.images->add_user(data["image"].get<std::string>(), id);
  }
}

Liveness LocalRuntime::liveness(const std::string&, const nlohmann::json& data) {
  return process_liveness(data.value("pid", 0), data.value("start_time", ""));
}

bool LocalRuntime::alive(const std::string& id, const nlohmann::json& data) {
  return liveness(id, data) == Liveness::alive;
}

// The directories under STATE/sandboxes/, each made by start() before anything else and
// removed by stop() after the cgroups: every sandbox this state directory has placed, and only
// those. The cgroup parent alone would not do: every server started from the same cgroup
// (another state directory, a test run) shares it, and their sandboxes are not ours to stop.
std::vector<std::string> LocalRuntime::list_placed() {
  std::vector<std::string> ids;
  std::error_code ec;
  for (fs::directory_iterator it(options_.state_dir + "/sandboxes", ec), end; !ec && it != end;
       it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (name.rfind("sb-", 0) == 0 && it->is_directory(ec)) ids.push_back(std::move(name));
  }
  return ids;
}

}  // namespace hive::server::local
