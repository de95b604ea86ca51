#include "children.hpp"

#include <signal.h>
#include <sys/wait.h>

#include <boost/asio/post.hpp>

namespace hive::agent {

Children::Children(boost::asio::io_context& io) : sigchld_(io, SIGCHLD) { arm(); }

void Children::watch(pid_t pid, OnExit on_exit) {
  waiting_[pid] = std::move(on_exit);
  // The child may have died before we registered it: a reap from the io loop finds it.
  boost::asio::post(sigchld_.get_executor(), [this] { reap(); });
}

void Children::arm() {
  sigchld_.async_wait([this](const boost::system::error_code& ec, int) {
    if (ec) return;
    reap();
    arm();
  });
}

void Children::reap() {
  // SIGCHLD coalesces: one signal may stand for many exits, so drain them all.
  for (;;) {
    int status = 0;
    pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid <= 0) return;
    auto it = waiting_.find(pid);
    if (it == waiting_.end()) continue;  // an orphan: reaping it is all PID 1 owes
    auto on_exit = std::move(it->second);
    waiting_.erase(it);
    on_exit(status);
  }
}

}  // namespace hive::agent
