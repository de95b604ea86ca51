#include "api/images_api.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <memory>
#include <mutex>
#include <optional>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "common/unique_fd.hpp"
#include "hive/sandbox/codec.hpp"

namespace hive::server {
namespace {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using sandbox::Json;

http::Response json_answer(const http::Request& request, unsigned status, const Json& body) {
  return http::make_response(request, static_cast<bhttp::status>(status), sandbox::dump(body));
}

Json event_json(const images::PullEvent& e) {
  Json j{{"id", e.id}, {"status", e.status}};
  if (e.total > 0 || e.current > 0) j["progress"] = {{"current", e.current}, {"total", e.total}};
  return j;
}

// What the pull's worker has said and the stream has not yet written.
struct PullFeed {
  std::mutex mutex;
  std::string lines;
  bool done = false;
};

}  // namespace

Error images_unavailable() {
  return make_error(Errc::invalid_argument,
                    "images are not managed on this runtime (on kubernetes the kubelet pulls "
                    "each Pod's image)");
}

http::Response images_dispatch(const http::Request& request, const Route& r,
                               images::ImageStore* images) {
  if (images == nullptr) return http::error_response(request, images_unavailable());
  switch (r.kind) {
    case RouteKind::ListImages: {
      Json items = Json::array();
      for (const auto& image : images->list()) items.push_back(images::to_json(image));
      return json_answer(request, 200, {{"items", items}});
    }
    case RouteKind::GetImage: {
      auto image = images->find(r.id);
      if (!image) return http::error_response(request, image.error());
      return json_answer(request, 200, images::to_json(*image));
    }
    case RouteKind::DeleteImage: {
      auto image = images->remove(r.id);
      if (!image) return http::error_response(request, image.error());
      auto freed = images->prune();  // its layers, unless another image shares them
      Json body = images::to_json(*image);
      if (freed) body["freed_bytes"] = *freed;
      return json_answer(request, 200, body);
    }
    case RouteKind::PruneImages: {
      auto freed = images->prune();
      if (!freed) return http::error_response(request, freed.error());
      return json_answer(request, 200, {{"freed_bytes", *freed}});
    }
    default:
      break;
  }
  return http::error_response(request, make_error(Errc::not_found, "no such image route"));
}

asio::awaitable<bool> serve_pull(http::Exchange& exchange, const Route& r,
                                 images::ImageStore* images, asio::thread_pool& workers) {
  if (images == nullptr) co_return co_await http::answer_error(exchange, images_unavailable());
  auto it = r.query.find("image");
  const std::string reference = it == r.query.end() ? "" : it->second;
  if (auto ref = images::parse_reference(reference); !ref) {
    Error error = reference.empty() ? make_error(Errc::invalid_argument,
                                                 "give the image to pull: ?image=REFERENCE")
                                    : ref.error();
    co_return co_await http::answer_error(exchange, error);
  }
  auto feed = std::make_shared<PullFeed>();
  asio::post(workers, [feed, images, reference] {
    auto pulled = images->pull(reference, [feed](const images::PullEvent& e) {
      std::lock_guard lock(feed->mutex);
      feed->lines += sandbox::dump(event_json(e)) + "\n";
    });
    Json last = pulled ? Json{{"status", "pulled"}, {"image", images::to_json(*pulled)}}
                       : sandbox::to_json(pulled.error());
    std::lock_guard lock(feed->mutex);
    feed->lines += sandbox::dump(last) + "\n";
    feed->done = true;
  });
  http::ChunkedWriter writer(exchange.stream);
  if (co_await writer.start(exchange.header(), bhttp::status::ok, "application/x-ndjson")) {
    co_return false;  // the client left; the pull goes on and is kept for the next one
  }
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (;;) {
    std::string lines;
    bool done = false;
    {
      std::lock_guard lock(feed->mutex);
      lines.swap(feed->lines);
      done = feed->done;
    }
    if (!lines.empty() && co_await writer.write(lines)) co_return false;
    if (done) break;
    timer.expires_after(std::chrono::milliseconds(100));
    auto [ec] = co_await timer.async_wait(http::use_tuple);
    if (ec) co_return false;
  }
  co_return !co_await writer.finish();
}

namespace {

struct LoadOutcome {
  std::mutex mutex;
  std::optional<Result<std::vector<images::Image>>> result;
};

// The request body into `fd`, at most max_bytes of it.
asio::awaitable<Result<std::int64_t>> receive_to_file(http::BodyReader& body, int fd,
                                                      std::int64_t max_bytes) {
  auto buffer = std::make_unique<std::array<char, 1 << 16>>();
  std::int64_t total = 0;
  while (!body.done()) {
    std::size_t got = 0;
    if (auto ec = co_await body.read_some(buffer->data(), buffer->size(), got)) {
      co_return make_error(Errc::invalid_argument, "upload broken off: " + ec.message());
    }
    total += static_cast<std::int64_t>(got);
    if (total > max_bytes) {
      co_return make_error(Errc::payload_too_large,
                           "an image archive is at most " + std::to_string(max_bytes) + " bytes");
    }
    for (std::size_t done = 0; done < got;) {
      ssize_t n = write(fd, buffer->data() + done, got - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        Error error = sys_error("write", "the uploaded image archive", errno);
        if (error.sys_errno == ENOSPC) error.code = Errc::insufficient_storage;
        co_return error;
      }
      done += static_cast<std::size_t>(n);
    }
  }
  co_return total;
}

}  // namespace

asio::awaitable<bool> serve_load(http::Exchange& exchange, const Route& r,
                                 images::ImageStore* images, asio::thread_pool& workers) {
  if (images == nullptr) co_return co_await http::answer_error(exchange, images_unavailable());
  auto it = r.query.find("tag");
  const std::string tag = it == r.query.end() ? "" : it->second;
  if (!tag.empty()) {
    if (auto ref = images::parse_reference(tag); !ref) {
      co_return co_await http::answer_error(exchange, ref.error().context("tag"));
    }
  }
  const std::string path = images->upload_path();
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!fd.valid()) {
    co_return co_await http::answer_error(exchange, sys_error("create", path, errno));
  }
  http::BodyReader body(exchange);
  auto received = co_await receive_to_file(body, fd.get(), images->max_archive_bytes());
  fd.reset();
  Result<std::vector<images::Image>> loaded = make_error(Errc::internal, "not loaded");
  if (received) {
    // Unpacking takes as long as a pull's: on a worker, as a pull is; polled, as a pull's
    // events are (a lambda temporary inside co_await is freed twice by GCC 12).
    auto outcome = std::make_shared<LoadOutcome>();
    asio::post(workers, [outcome, images, path, tag] {
      auto result = images->load(path, tag);
      std::lock_guard lock(outcome->mutex);
      outcome->result = std::move(result);
    });
    asio::steady_timer timer(co_await asio::this_coro::executor);
    for (;;) {
      {
        std::lock_guard lock(outcome->mutex);
        if (outcome->result) {
          loaded = std::move(*outcome->result);
          break;
        }
      }
      timer.expires_after(std::chrono::milliseconds(50));
      co_await timer.async_wait(http::use_tuple);
    }
  } else {
    ::unlink(path.c_str());
    loaded = received.error();
  }
  http::Response response;
  if (loaded) {
    Json items = Json::array();
    for (const auto& image : *loaded) items.push_back(images::to_json(image));
    response = http::make_response(body.header(), bhttp::status::ok,
                                   sandbox::dump(Json{{"items", items}}));
  } else {
    response = http::error_response(body.header(), loaded.error());
  }
  if (!body.done()) response.keep_alive(false);
  co_return co_await http::send(exchange.stream, std::move(response));
}

}  // namespace hive::server
