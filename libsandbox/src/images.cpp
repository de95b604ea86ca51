// Client's image calls: /v1/images (docs/api.md).
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <optional>

#include "hive/sandbox/client.hpp"
#include "hive/sandbox/codec.hpp"
#include "transport.hpp"

namespace hive::sandbox {
namespace {

std::string image_path(const std::string& reference) {
  return "/v1/images/" + escape_segment(reference);
}

}  // namespace

Result<Json> Client::pull_image(const std::string& reference, const OnPullEvent& on_event) {
  std::optional<Json> image;
  std::optional<Error> failed;
  Transport::Streamed request{.method = "POST",
                              .path = "/v1/images/pull?image=" + escape_segment(reference)};
  request.on_data = line_splitter([&](std::string_view line) {
    auto event = parse_json(line);
    if (!event || !event->is_object()) {
      failed = make_error(Errc::transport, "a pull event could not be read: " + std::string(line));
      return false;
    }
    if (event->contains("error")) {
      failed = error_from_body(line, Errc::internal);
      return false;
    }
    if (event->value("status", "") == "pulled" && event->contains("image")) {
      image = (*event)["image"];
    } else if (on_event) {
      on_event(*event);
    }
    return true;
  });
  if (auto streamed = transport_->stream(request); !streamed) return streamed.error();
  if (failed) return *failed;
  if (!image)
    return make_error(Errc::transport, "the pull of " + reference + " ended without an answer");
  return *image;
}

Result<std::vector<Json>> Client::list_images() {
  auto body = transport_->call("GET", "/v1/images");
  if (!body) return body.error();
  if (!body->contains("items") || !(*body)["items"].is_array()) {
    return make_error(Errc::internal, "hive-server's answer has no 'items'");
  }
  return (*body)["items"].get<std::vector<Json>>();
}

Result<Json> Client::get_image(const std::string& reference) {
  return transport_->call("GET", image_path(reference));
}

Result<Json> Client::remove_image(const std::string& reference) {
  return transport_->call("DELETE", image_path(reference), nullptr, Transport::Answer::WhenDone);
}

Result<std::int64_t> Client::prune_images() {
  auto body = transport_->call("POST", "/v1/images/prune", nullptr, Transport::Answer::WhenDone);
  if (!body) return body.error();
  return body->value("freed_bytes", std::int64_t{0});
}

Result<std::vector<Json>> Client::load_image(const std::string& archive_path,
                                             const std::string& tag, const OnCopied& on_sent) {
  const bool from_stdin = archive_path == "-";
  int fd = from_stdin ? STDIN_FILENO : open(archive_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return sys_error("open", archive_path, errno);
  struct Closer {
    int fd;
    bool owned;
    ~Closer() {
      if (owned) close(fd);
    }
  } closer{fd, !from_stdin};
  Transport::Streamed call{.method = "POST", .path = "/v1/images/load"};
  if (!tag.empty()) call.path += "?tag=" + escape_segment(tag);
  call.headers = {"Content-Type: application/x-tar"};
  std::uint64_t sent = 0;
  call.upload = [&](char* into, std::size_t room) -> Result<std::size_t> {
    for (;;) {
      ssize_t n = read(fd, into, room);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return sys_error("read", archive_path, errno);
      if (on_sent) on_sent(sent += static_cast<std::uint64_t>(n));
      return static_cast<std::size_t>(n);
    }
  };
  std::string answer;
  call.on_data = [&answer](std::string_view piece) {
    answer.append(piece);
    return true;
  };
  if (auto r = transport_->stream(call); !r) return r.error();
  auto body = parse_json(answer);
  if (!body || !body->is_object() || !body->contains("items") || !(*body)["items"].is_array()) {
    return make_error(Errc::internal, "hive-server's answer to the load has no 'items'");
  }
  return (*body)["items"].get<std::vector<Json>>();
}

}  // namespace hive::sandbox
