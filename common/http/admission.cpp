#include "admission.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

#include <boost/asio/error.hpp>

#include "hive/error.hpp"
#include "hive/sandbox/codec.hpp"

namespace hive::http {

ConnectionCaps default_caps(std::uint64_t descriptors) {
  const std::uint64_t reserve = std::clamp<std::uint64_t>(descriptors / 16, 64, 4096);
  const std::uint64_t total = descriptors > reserve + 2 ? (descriptors - reserve) / 2 : 1;
  return {static_cast<std::size_t>(total),
          static_cast<std::size_t>(std::max<std::uint64_t>(total / 4, 1))};
}

std::shared_ptr<void> ConnectionLimit::admit(const boost::asio::ip::address& address) {
  // IPv4 clients seen over an IPv6 socket count as the IPv4 address they are.
  std::string key =
      address.is_v6() && address.to_v6().is_v4_mapped()
          ? boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, address.to_v6())
                .to_string()
          : address.to_string();
  {
    std::lock_guard lock(mutex_);
    if (caps_.total > 0 && open_ >= caps_.total) return nullptr;
    std::size_t& mine = by_address_[key];
    if (caps_.per_address > 0 && mine >= caps_.per_address) return nullptr;
    ++mine;
    ++open_;
  }
  // Non-null (a held slot tests true); the deleter gives the slot back.
  auto self = shared_from_this();
  return std::shared_ptr<void>(static_cast<void*>(this),
                               [self, key = std::move(key)](void*) { self->release(key); });
}

void ConnectionLimit::release(const std::string& address) {
  std::lock_guard lock(mutex_);
  --open_;
  auto it = by_address_.find(address);
  if (it != by_address_.end() && --it->second == 0) by_address_.erase(it);
}

std::size_t ConnectionLimit::open() const {
  std::lock_guard lock(mutex_);
  return open_;
}

bool Episode::occur() {
  auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mutex_);
  bool begins = !seen_ || now - last_ >= quiet_;
  seen_ = true;
  last_ = now;
  return begins;
}

// accept()'s errors are the system's errno values; comparing categories is avoided because
// UBSan's vptr check rejects Boost 1.81's constexpr system category (it aborted the ASan run).
bool out_of_resources(const boost::system::error_code& ec) {
  switch (ec.value()) {
    case EMFILE:
    case ENFILE:
    case ENOBUFS:
    case ENOMEM:
      return true;
    default:
      return false;
  }
}

void refuse(int fd) {
  static const std::string answer = [] {
    std::string body =
        sandbox::dump(sandbox::to_json(Error{Errc::unavailable,
                                             "too many connections (hive-server --max-connections, "
                                             "--max-connections-per-address); try again"}));
    return "HTTP/1.1 503 Service Unavailable\r\nServer: hive\r\n"
           "Content-Type: application/json\r\nRetry-After: 1\r\nConnection: close\r\n"
           "Content-Length: " +
           std::to_string(body.size()) + "\r\n\r\n" + body;
  }();
  (void)::send(fd, answer.data(), answer.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  char drained[4096];
  (void)::recv(fd, drained, sizeof drained, MSG_DONTWAIT);
  ::shutdown(fd, SHUT_WR);
}

}  // namespace hive::http
