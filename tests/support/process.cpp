#include "process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace hive::test {
namespace {

std::vector<char*> c_strings(std::vector<std::string>& items) {
  std::vector<char*> out;
  for (auto& item : items) out.push_back(item.data());
  out.push_back(nullptr);
  return out;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::string text;
  std::getline(in, text);
  return text;
}

}  // namespace

std::string bin(const std::string& name) { return std::string(HIVE_BIN_DIR) + "/" + name; }

std::string agent_pid(const std::string& sandbox_id) {
  auto out = run({"/usr/bin/pgrep", "-f", "hive-agent.*--hostname " + sandbox_id});
  return out.out.substr(0, out.out.find('\n'));
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string wait_for_file(const std::string& path, int seconds) {
  for (int i = 0; i < seconds * 10; ++i) {
    std::string content = slurp(path);
    if (!content.empty()) return content;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return "";
}

std::string trim(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

Outcome run(const std::vector<std::string>& argv, const std::string& input,
            const std::vector<std::string>& env) {
  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC)) {
    throw std::runtime_error("pipe2");
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err[1], 2);
  auto args = argv;
  std::vector<std::string> envs;
  // Ours override inherited ones (getenv would find the first of two).
  for (char** e = environ; *e; ++e) {
    std::string entry(*e);
    bool overridden = false;
    for (const auto& mine : env) {
      overridden =
          overridden || entry.substr(0, entry.find('=') + 1) == mine.substr(0, mine.find('=') + 1);
    }
    if (!overridden) envs.push_back(entry);
  }
  envs.insert(envs.end(), env.begin(), env.end());
  auto c_args = c_strings(args);
  auto c_env = c_strings(envs);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, c_args[0], &actions, nullptr, c_args.data(), c_env.data());
  posix_spawn_file_actions_destroy(&actions);
  close(in[0]);
  close(out[1]);
  close(err[1]);
  if (rc != 0) throw std::runtime_error("spawn " + argv[0] + ": " + std::strerror(rc));
  // Feed stdin and drain both outputs together so neither side blocks the other.
  Outcome outcome;
  std::size_t written = 0;
  if (input.empty()) close(in[1]);
  pollfd fds[3] = {
      {out[0], POLLIN, 0}, {err[0], POLLIN, 0}, {input.empty() ? -1 : in[1], POLLOUT, 0}};
  int open_outputs = 2;
  while (open_outputs > 0) {
    poll(fds, 3, -1);
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buffer[65536];
      ssize_t n = read(fds[i].fd, buffer, sizeof buffer);
      if (n <= 0) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_outputs;
      } else {
        (i == 0 ? outcome.out : outcome.err).append(buffer, static_cast<std::size_t>(n));
      }
    }
    if (fds[2].fd >= 0 && fds[2].revents != 0) {
      ssize_t n = write(fds[2].fd, input.data() + written, input.size() - written);
      if (n > 0) written += static_cast<std::size_t>(n);
      if (n <= 0 || written == input.size()) {
        close(fds[2].fd);
        fds[2].fd = -1;
      }
    }
  }
  if (fds[2].fd >= 0) close(fds[2].fd);
  int status = 0;
  waitpid(pid, &status, 0);
  outcome.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return outcome;
}

TempDir::TempDir() {
  // Short, so agent socket paths stay under the 108-byte limit.
  char pattern[] = "/tmp/hive-t-XXXXXX";
  if (mkdtemp(pattern) == nullptr) throw std::runtime_error("mkdtemp");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

TestServer::TestServer(std::vector<std::string> flags) : flags_(std::move(flags)) { start(); }

void TestServer::start() {
  std::filesystem::remove(state_.path() + "/address");
  // The server adds its "local" context to a hivectl config of the test's own, never root's.
  std::vector<std::string> args{bin("hive-server"),
                                "--listen",
                                "127.0.0.1:0",
                                "--state-dir",
                                state_.path(),
                                "--client-config",
                                state_.path() + "/hiveconfig"};
  args.insert(args.end(), flags_.begin(), flags_.end());
  auto c_args = c_strings(args);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  std::string log = state_.path() + "/server.log";
  posix_spawn_file_actions_addopen(&actions, 2, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  int rc = posix_spawn(&pid_, c_args[0], &actions, nullptr, c_args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot start hive-server");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!std::filesystem::exists(state_.path() + "/address")) {
    if (std::chrono::steady_clock::now() > deadline || waitpid(pid_, nullptr, WNOHANG) == pid_) {
      throw std::runtime_error("hive-server did not start; see " + log);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  url_ = "http://" + read_file(state_.path() + "/address");
  token_ = read_file(state_.path() + "/token");
  for (std::size_t i = 0; i + 1 < flags_.size(); ++i) {  // a token given rather than made
    if (flags_[i] == "--token-file") token_ = read_file(flags_[i + 1]);
  }
}

void TestServer::kill9() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
}

int TestServer::stop() {
  int status = 0;
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

TestServer::~TestServer() {
  int status = 0;
  if (pid_ > 0) {
    auto c = client();
    if (auto all = c.list()) {
      for (const auto& sb : *all) (void)c.deprovision(sb.id);
    }
    kill(pid_, SIGTERM);
    waitpid(pid_, &status, 0);
  }
  // Sanitizer reports from the server and its agents land in the log, not in a test's
  // assertions: a finding, or a server that did not exit cleanly, fails the whole run.
  std::ifstream in(state_.path() + "/server.log");
  std::string log((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  bool finding =
      log.find("Sanitizer") != std::string::npos || log.find("runtime error:") != std::string::npos;
  bool unclean = WIFEXITED(status) && WEXITSTATUS(status) != 0;
  if (finding || unclean) {
    std::fprintf(stderr, "hive-server %s; its log:\n%s\n",
                 finding ? "reported a sanitizer finding" : "exited non-zero", log.c_str());
    std::abort();
  }
}

sandbox::Client TestServer::client() const { return sandbox::Client({url_, token_}); }

Outcome TestServer::hivectl(std::vector<std::string> args, const std::string& input) const {
  args.insert(args.begin(), bin("hivectl"));
  return run(args, input, {"HIVE_SERVER=" + url_, "HIVE_TOKEN=" + token_});
}

std::vector<std::string> cgroup_dirs(const std::function<bool(const std::string& path)>& wanted) {
  namespace fs = std::filesystem;
  std::vector<std::string> found;
  for (int attempt = 0; attempt < 10; ++attempt) {
    found.clear();
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator("/sys/fs/cgroup", ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (it.depth() > 6) it.disable_recursion_pending();
      std::error_code kind;
      if (it->is_directory(kind) && wanted(it->path().string())) found.push_back(it->path());
    }
    if (!ec) break;
  }
  return found;
}

std::vector<std::string> cgroups_named(const std::string& id) {
  return cgroup_dirs(
      [&](const std::string& path) { return std::filesystem::path(path).filename() == id; });
}

}  // namespace hive::test
