#include "agent_client/agent_client.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <mutex>
#include <sstream>
#include <unordered_map>

#include <boost/beast/http.hpp>

#include "common/agent_protocol.hpp"
#include "common/unique_fd.hpp"

namespace hive::server {
namespace {

namespace beast = boost::beast;
namespace bhttp = beast::http;
using Deadline = std::chrono::steady_clock::time_point;

constexpr std::uint64_t kMaxReplyBytes = 1ULL << 31;
constexpr std::size_t kIdlePerAgent = 8;
constexpr auto kPoolIdle = std::chrono::seconds(30);

bhttp::verb to_verb(Method method) {
  switch (method) {
    case Method::Get:
      return bhttp::verb::get;
    case Method::Delete:
      return bhttp::verb::delete_;
    case Method::Put:
      return bhttp::verb::put;
    case Method::Post:
      break;
  }
  return bhttp::verb::post;
}

std::string where(const AgentEndpoint& endpoint) {
  if (!endpoint.unix_path.empty()) return "'" + endpoint.unix_path + "'";
  return endpoint.host + ":" + std::to_string(endpoint.port);
}

// Kept-alive connections to agents, so a call costs no connect; shared by call_agent and the
// gateway's proxy. The agent closes a connection idle for a minute: one kept half that long is
// dropped, and one the agent closed anyway is seen (readable at EOF) and dropped at take().
class Pool {
 public:
  UniqueFd take(const std::string& key) {
    std::lock_guard lock(mutex_);
    auto& idle = idle_[key];
    const auto now = std::chrono::steady_clock::now();
    while (!idle.empty()) {
      auto [fd, since] = std::move(idle.back());
      idle.pop_back();
      pollfd pfd{fd.get(), POLLIN, 0};
      if (now - since < kPoolIdle && poll(&pfd, 1, 0) == 0) return std::move(fd);
    }
    return UniqueFd();
  }
  void give(const std::string& key, UniqueFd fd) {
    std::lock_guard lock(mutex_);
    auto& idle = idle_[key];
    if (idle.size() < kIdlePerAgent)
      idle.emplace_back(std::move(fd), std::chrono::steady_clock::now());
  }
  void forget(const std::string& key) {
    std::lock_guard lock(mutex_);
    idle_.erase(key);
  }

 private:
  std::mutex mutex_;
  std::unordered_map<std::string,
                     std::vector<std::pair<UniqueFd, std::chrono::steady_clock::time_point>>>
      idle_;
};

Pool& pool() {
  static Pool instance;
  return instance;
}

int millis_left(Deadline deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                  deadline - std::chrono::steady_clock::now())
                  .count();
  return left <= 0 ? 0 : static_cast<int>(std::min<long long>(left, 1 << 30));
}

// Waits for fd to be ready for `events` until the deadline; false on timeout.
bool wait_for(int fd, short events, Deadline deadline) {
  for (;;) {
    pollfd pfd{fd, events, 0};
    int rc = poll(&pfd, 1, millis_left(deadline));
    if (rc > 0) return true;
    if (rc == 0) return false;
    if (errno != EINTR) return false;
  }
}

Result<UniqueFd> connect_agent(const AgentEndpoint& endpoint, Deadline deadline) {
  if (!endpoint.unix_path.empty()) {
    sockaddr_un addr{};
    if (endpoint.unix_path.size() >= sizeof addr.sun_path) {
      return make_error(Errc::internal, "agent socket path too long");
    }
    addr.sun_family = AF_UNIX;
    endpoint.unix_path.copy(addr.sun_path, endpoint.unix_path.size());
    UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd.valid() || connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      return sys_error("connect to hive-agent at", endpoint.unix_path, errno);
    }
    return fd;
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(endpoint.port));
  if (inet_pton(AF_INET, endpoint.host.c_str(), &addr.sin_addr) != 1) {
    return make_error(Errc::agent_error, "bad agent address " + where(endpoint));
  }
  UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd.valid()) return sys_error("socket", "AF_INET", errno);
  int one = 1;
  setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    if (errno != EINPROGRESS) return sys_error("connect to hive-agent at", where(endpoint), errno);
    if (!wait_for(fd.get(), POLLOUT, deadline)) {
      return make_error(Errc::timeout,
                        "connect to hive-agent at " + where(endpoint) + " timed out");
    }
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) return sys_error("connect to hive-agent at", where(endpoint), err);
  }
  return fd;
}

enum class Outcome { Done, Stale, Failed };

// One request/response on a connection. Stale: the peer had closed it before answering.
Outcome exchange(int fd, const std::string& wire, Deadline deadline,
                 bhttp::response_parser<bhttp::string_body>& parser, Error& error) {
  auto fail = [&error](Errc code, std::string message) {
    error = make_error(code, std::move(message));
    return Outcome::Failed;
  };
  std::size_t sent = 0;
  while (sent < wire.size()) {
    ssize_t n = send(fd, wire.data() + sent, wire.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (!wait_for(fd, POLLOUT, deadline)) return fail(Errc::timeout, "send timed out");
    } else if (errno == EPIPE || errno == ECONNRESET) {
      return Outcome::Stale;
    } else {
      return fail(Errc::agent_error, sys_error("send to hive-agent", "", errno).message);
    }
  }
  char buffer[65536];
  bool got_any = false;
  while (!parser.is_done()) {
    ssize_t n = recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (!wait_for(fd, POLLIN, deadline)) {
        return fail(Errc::timeout, "hive-agent did not answer in time");
      }
      continue;
    }
    if (n <= 0) {
      if (!got_any && (n == 0 || errno == ECONNRESET)) return Outcome::Stale;
      return fail(Errc::agent_error, "hive-agent closed the connection mid-answer");
    }
    got_any = true;
    std::size_t offset = 0;
    while (offset < static_cast<std::size_t>(n) && !parser.is_done()) {
      beast::error_code ec;
      offset += parser.put(
          boost::asio::buffer(buffer + offset, static_cast<std::size_t>(n) - offset), ec);
      if (ec == bhttp::error::need_more) break;
      if (ec) return fail(Errc::agent_error, "bad HTTP from hive-agent: " + ec.message());
    }
  }
  return Outcome::Done;
}

}  // namespace

void forget_agent(const AgentEndpoint& endpoint) { pool().forget(where(endpoint)); }

UniqueFd take_idle_connection(const AgentEndpoint& endpoint) {
  return pool().take(where(endpoint));
}

void give_idle_connection(const AgentEndpoint& endpoint, UniqueFd fd) {
  pool().give(where(endpoint), std::move(fd));
}

Result<AgentReply> call_agent(const AgentEndpoint& endpoint, Method method,
                              const std::string& target, const std::string& body,
                              std::chrono::milliseconds timeout) {
  const Deadline deadline = std::chrono::steady_clock::now() + timeout;
  bhttp::request<bhttp::string_body> request{to_verb(method), target, 11};
  request.set(bhttp::field::host, "hive-agent");
  request.set(bhttp::field::content_type, "application/json");
  if (!endpoint.secret.empty()) request.set(agent_protocol::kSecretHeader, endpoint.secret);
  request.keep_alive(true);
  request.body() = body;
  request.prepare_payload();
  std::ostringstream serialized;
  serialized << request;
  const std::string wire = serialized.str();
  const std::string key = where(endpoint);

  for (int attempt = 0; attempt < 2; ++attempt) {
    UniqueFd fd = attempt == 0 ? pool().take(key) : UniqueFd();
    const bool pooled = fd.valid();
    if (!pooled) {
      auto fresh = connect_agent(endpoint, deadline);
      if (!fresh) {
        pool().forget(key);
        Error error = fresh.error();
        if (error.code == Errc::internal) error.code = Errc::agent_error;
        return error;
      }
      fd = std::move(*fresh);
    }
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(kMaxReplyBytes);
    Error error;
    switch (exchange(fd.get(), wire, deadline, parser, error)) {
      case Outcome::Stale:
        // A pooled connection the agent had closed while idle: nothing ran, so try a new one.
        if (pooled) continue;
        return make_error(Errc::agent_error, "hive-agent at " + key + " closed the connection");
      case Outcome::Failed:
        return error.context("hive-agent at " + key);
      case Outcome::Done:
        break;
    }
    auto& response = parser.get();
    if (response.keep_alive()) pool().give(key, std::move(fd));
    return AgentReply{static_cast<int>(response.result_int()), std::move(response.body())};
  }
  return make_error(Errc::agent_error, "hive-agent at " + key + " closed the connection");
}

}  // namespace hive::server
