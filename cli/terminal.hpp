// The local terminal in raw mode for an interactive session (hivectl exec -it, attach): keys
// go to the remote process as typed (Ctrl-C included), and the terminal is put back on every
// way out: the normal return, an error, and SIGTERM/SIGHUP/SIGQUIT from outside.
#pragma once

namespace hive::cli {

class RawTerminal {
 public:
  // Does nothing when fd is not a terminal.
  explicit RawTerminal(int fd);
  ~RawTerminal();
  RawTerminal(const RawTerminal&) = delete;
  RawTerminal& operator=(const RawTerminal&) = delete;
  bool active() const { return active_; }

 private:
  int fd_;
  bool active_ = false;
};

}  // namespace hive::cli
