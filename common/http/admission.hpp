// What keeps a flood of connections from taking the descriptors the server needs for its own
// work (calls to agents, the store, /proc, health checks): caps on open connections in total
// and per client address, a cheap refusal past them, and a log line per episode of trouble
// rather than per refused connection or failed accept().
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include <boost/asio/ip/address.hpp>
#include <boost/system/error_code.hpp>

namespace hive::http {

struct ConnectionCaps {
  std::size_t total = 0;        // 0: no cap
  std::size_t per_address = 0;  // 0: no cap
};

// Caps for a process allowed `descriptors` open files: a reserve (a sixteenth, 64 to 4096)
// stays free for the server's own work, and each connection is counted twice, as a proxied
// one holds a second descriptor to its sandbox's agent. One address may hold a quarter.
ConnectionCaps default_caps(std::uint64_t descriptors);

// Counts open connections against the caps. Thread-safe: slots are taken on the accept thread
// and given back on whichever thread the connection ends.
class ConnectionLimit : public std::enable_shared_from_this<ConnectionLimit> {
 public:
  explicit ConnectionLimit(ConnectionCaps caps) : caps_(caps) {}
  // A slot for a connection from `address`, held as long as the returned pointer lives;
  // nullptr past a cap.
  std::shared_ptr<void> admit(const boost::asio::ip::address& address);
  std::size_t open() const;
  const ConnectionCaps& caps() const { return caps_; }

 private:
  void release(const std::string& address);

  ConnectionCaps caps_;
  mutable std::mutex mutex_;
  std::size_t open_ = 0;
  std::unordered_map<std::string, std::size_t> by_address_;
};

// A condition that may recur thousands of times a second (a refused connection, accept()
// out of descriptors) is logged when it begins and again only after `quiet` without it.
class Episode {
 public:
  explicit Episode(std::chrono::steady_clock::duration quiet = std::chrono::seconds(30))
      : quiet_(quiet) {}
  // Counts one occurrence; true when it begins an episode (the caller logs).
  bool occur();

 private:
  std::chrono::steady_clock::duration quiet_;
  std::mutex mutex_;
  std::chrono::steady_clock::time_point last_{};
  bool seen_ = false;
};

// accept() failed for want of descriptors or memory: retrying at once would only spin.
bool out_of_resources(const boost::system::error_code& ec);

// Answers a connection past a cap with a fixed 503 in one non-blocking send and drains what
// the client already sent (so that closing does not reset the answer away); the caller then
// closes it. No read waits, no timer, no coroutine: a refused connection holds its descriptor
// for microseconds.
void refuse(int fd);

}  // namespace hive::http
