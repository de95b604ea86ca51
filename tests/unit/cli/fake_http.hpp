// A scripted HTTP server on 127.0.0.1:0 for hivectl's unit tests: it answers each request with
// what the handler says, or accepts and never answers (a hung server), so the client's side of
// the wire is tested with no hive-server. One connection at a time, each closed after its answer.
#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace hive::test {

struct Reply {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

class FakeHttp {
 public:
  // `handler` gets "GET" and "/v1/sandboxes?selector="; nullopt leaves the request unanswered.
  using Handler =
      std::function<std::optional<Reply>(const std::string& method, const std::string& target)>;
  explicit FakeHttp(Handler handler);
  ~FakeHttp();
  FakeHttp(const FakeHttp&) = delete;
  FakeHttp& operator=(const FakeHttp&) = delete;

  const std::string& url() const { return url_; }  // http://127.0.0.1:PORT
  std::vector<std::string> requests() const;       // "GET /v1/version", in order

 private:
  void serve();
  void answer(int fd);

  Handler handler_;
  int listener_ = -1;
  std::string url_;
  std::atomic<bool> stop_{false};
  std::vector<int> unanswered_;  // kept open until the end, as a hung server keeps them
  mutable std::mutex lock_;
  std::vector<std::string> requests_;
  std::thread thread_;
};

}  // namespace hive::test
