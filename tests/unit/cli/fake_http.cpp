#include "fake_http.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

namespace hive::test {

FakeHttp::FakeHttp(Handler handler) : handler_(std::move(handler)) {
  listener_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof address;
  if (listener_ < 0 || bind(listener_, reinterpret_cast<sockaddr*>(&address), size) != 0 ||
      listen(listener_, 16) != 0 ||
      getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
    throw std::runtime_error("FakeHttp: cannot listen on 127.0.0.1");
  }
  url_ = "http://127.0.0.1:" + std::to_string(ntohs(address.sin_port));
  thread_ = std::thread([this] { serve(); });
}

FakeHttp::~FakeHttp() {
  stop_ = true;
  thread_.join();
  for (int fd : unanswered_) close(fd);
  close(listener_);
}

std::vector<std::string> FakeHttp::requests() const {
  std::lock_guard<std::mutex> hold(lock_);
  return requests_;
}

void FakeHttp::serve() {
  while (!stop_) {
    pollfd ready{listener_, POLLIN, 0};
    if (poll(&ready, 1, 50) <= 0) continue;
    const int fd = accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd >= 0) answer(fd);
  }
}

namespace {

// Whether `request` holds the whole request: its head and the body the head announces (a
// body left unread would make close() reset the connection under the client's feet).
bool complete(const std::string& request) {
  const auto head_end = request.find("\r\n\r\n");
  if (head_end == std::string::npos) return false;
  const std::string head = request.substr(0, head_end);
  if (head.find("Transfer-Encoding: chunked") != std::string::npos) {
    return request.size() >= head_end + 9 &&
           request.compare(request.size() - 5, 5, "0\r\n\r\n") == 0;
  }
  const auto length = head.find("Content-Length: ");
  if (length == std::string::npos) return true;
  return request.size() - head_end - 4 >= std::stoul(head.substr(length + 16));
}

}  // namespace

void FakeHttp::answer(int fd) {
  std::string request;
  char buffer[4096];
  while (!complete(request) && !stop_) {
    pollfd ready{fd, POLLIN, 0};
    if (poll(&ready, 1, 50) <= 0) continue;
    const ssize_t n = read(fd, buffer, sizeof buffer);
    if (n <= 0) break;
    request.append(buffer, static_cast<std::size_t>(n));
  }
  const std::string line = request.substr(0, request.find("\r\n"));
  const std::string method = line.substr(0, line.find(' '));
  const std::string target = line.substr(method.size() + 1, line.rfind(' ') - method.size() - 1);
  {
    std::lock_guard<std::mutex> hold(lock_);
    requests_.push_back(method + " " + target);
  }
  auto reply = handler_(method, target);
  if (!reply) {
    unanswered_.push_back(fd);
    return;
  }
  const std::string response = "HTTP/1.1 " + std::to_string(reply->status) +
                               " Whatever\r\nContent-Type: " + reply->content_type +
                               "\r\nContent-Length: " + std::to_string(reply->body.size()) +
                               "\r\nConnection: close\r\n\r\n" + reply->body;
  for (std::size_t sent = 0; sent < response.size();) {
    const ssize_t n = write(fd, response.data() + sent, response.size() - sent);
    if (n <= 0) break;
    sent += static_cast<std::size_t>(n);
  }
  close(fd);
}

}  // namespace hive::test
