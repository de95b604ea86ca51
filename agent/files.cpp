#include "files.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <filesystem>

#include "file_ops.hpp"
#include "hive/sandbox/codec.hpp"
#include "hive/sandbox/tar.hpp"

namespace hive::agent {
namespace {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
namespace fs = std::filesystem;
using http::use_tuple;
using sandbox::Json;

constexpr std::size_t kChunk = 64 << 10;

std::string base_name(const std::string& path) {
  auto name = fs::path(path).lexically_normal().filename().string();
  return name.empty() ? "root" : name;
}

asio::awaitable<bool> answer_json(http::Exchange& exchange, const Json& body,
                                  bhttp::status status = bhttp::status::ok) {
  co_return co_await http::answer(
      exchange, http::make_response(exchange.header(), status, sandbox::dump(body)));
}

asio::awaitable<bool> list_directory(http::Exchange& exchange, const std::string& path) {
  auto entries = read_directory(path);
  if (!entries) co_return co_await http::answer_error(exchange, entries.error());
  Json listing{{"path", path}, {"entries", *entries}};  // a local: GCC 12 cannot take a braced
  co_return co_await answer_json(exchange, listing);    // list into a coroutine's frame
}

asio::awaitable<bool> send_file(http::Exchange& exchange, int fd, std::uint64_t size) {
  bhttp::response<bhttp::empty_body> header{bhttp::status::ok, exchange.header().version()};
  header.set(bhttp::field::server, "hive");
  header.set(bhttp::field::content_type, "application/octet-stream");
  header.content_length(size);
  header.keep_alive(http::keeps_alive(exchange.header()));
  bhttp::response_serializer<bhttp::empty_body> serializer{header};
  auto [ec, n] = co_await bhttp::async_write_header(exchange.stream, serializer, use_tuple);
  auto buffer = std::make_unique<std::array<char, kChunk>>();
  while (!ec && size > 0) {
    ssize_t got = read(fd, buffer->data(), std::min<std::uint64_t>(buffer->size(), size));
    if (got <= 0) co_return false;  // it shrank: the client sees a short body
    size -= static_cast<std::uint64_t>(got);
    std::tie(ec, n) = co_await asio::async_write(
        exchange.stream, asio::buffer(buffer->data(), static_cast<std::size_t>(got)), use_tuple);
  }
  co_return !ec && http::keeps_alive(exchange.header());
}

asio::awaitable<bool> send_tar(http::Exchange& exchange, const std::string& path,
                               const std::string& name) {
  sandbox::TarWriter writer(path, name);
  if (auto r = writer.open(); !r) {
    co_return co_await http::answer_error(exchange, file_error("lstat", path, r.error().sys_errno));
  }
  http::ChunkedWriter out(exchange.stream);
  if (co_await out.start(exchange.header(), bhttp::status::ok, "application/x-tar"))
    co_return false;
  auto buffer = std::make_unique<std::array<char, kChunk>>();
  for (;;) {
    auto n = writer.read(buffer->data(), buffer->size());
    if (!n) co_return false;  // cut short: the client sees a broken chunked body
    if (*n == 0) break;
    if (co_await out.write(std::string_view(buffer->data(), *n))) co_return false;
  }
  co_return !co_await out.finish() && http::keeps_alive(exchange.header());
}

asio::awaitable<bool> get(http::Exchange& exchange, const std::string& path,
                          const sandbox::Target& target) {
  struct stat st {};
  if (target.query.count("stat") != 0) {
    if (lstat(path.c_str(), &st) != 0)
      co_return co_await http::answer_error(exchange, file_error("lstat", path, errno));
    co_return co_await answer_json(exchange, entry_json(path, base_name(path), st));
  }
  if (exchange.header()[bhttp::field::accept].find("application/x-tar") != std::string_view::npos) {
    auto as = target.query.find("as");
    std::string name =
        as != target.query.end() && !as->second.empty() ? as->second : base_name(path);
    if (name.find('/') != std::string::npos || name == "..") {
      co_return co_await http::answer_error(
          exchange, make_error(Errc::invalid_argument, "'as' must be a plain name"));
    }
    if (auto r = check_tree_path(path); !r)
      co_return co_await http::answer_error(exchange, r.error());
    co_return co_await send_tar(exchange, path, name);
  }
  auto opened = open_to_read(path, /*directory_ok=*/true);
  if (!opened) co_return co_await http::answer_error(exchange, opened.error());
  const int fd = *opened;
  fstat(fd, &st);
  bool again = false;
  if (S_ISDIR(st.st_mode)) {
    close(fd);
    co_return co_await list_directory(exchange, path);
  }
  again = co_await send_file(exchange, fd, static_cast<std::uint64_t>(st.st_size));
  close(fd);
  co_return again;
}

// Reads the whole request body into `sink`; an error from the sink ends the upload.
template <class Sink>
asio::awaitable<Result<std::uint64_t>> receive(http::BodyReader& body, Sink&& sink) {
  auto buffer = std::make_unique<std::array<char, kChunk>>();
  std::uint64_t total = 0;
  while (!body.done()) {
    std::size_t got = 0;
    if (auto ec = co_await body.read_some(buffer->data(), buffer->size(), got)) {
      co_return make_error(Errc::invalid_argument, "upload broken off: " + ec.message());
    }
    if (auto r = sink(std::string_view(buffer->data(), got)); !r) co_return r.error();
    total += got;
  }
  co_return total;
}

Result<void> make_parents(const std::string& path) {
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  if (ec) return file_error("mkdir", fs::path(path).parent_path().string(), ec.value());
  return {};
}

asio::awaitable<bool> put_file(http::Exchange& exchange, const std::string& path, unsigned mode) {
  if (auto r = make_parents(path); !r) co_return co_await http::answer_error(exchange, r.error());
  // Written beside the target and renamed over it: a broken upload leaves the old file.
  std::string temporary = path + ".hive-upload-" + std::to_string(getpid()) + "-" +
                          std::to_string(reinterpret_cast<std::uintptr_t>(&exchange) & 0xffffff);
  auto opened = open_to_write(temporary, O_CREAT | O_EXCL, mode);
  if (!opened) co_return co_await http::answer_error(exchange, opened.error());
  const int fd = *opened;
  http::BodyReader body(exchange);
  auto written = co_await receive(body, [&](std::string_view data) -> Result<void> {
    while (!data.empty()) {
      ssize_t n = write(fd, data.data(), data.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return file_error("write", path, errno);
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return {};
  });
  fchmod(fd, mode);
  close(fd);
  if (written && rename(temporary.c_str(), path.c_str()) != 0)
    written = file_error("rename", path, errno);
  if (!written) unlink(temporary.c_str());
  auto response = written
                      ? http::make_response(body.header(), bhttp::status::ok,
                                            sandbox::dump(Json{{"path", path}, {"size", *written}}))
                      : http::error_response(body.header(), written.error());
  if (!body.done()) response.keep_alive(false);
  co_return co_await http::send(exchange.stream, std::move(response));
}

asio::awaitable<bool> put_tar(http::Exchange& exchange, const std::string& path) {
  std::error_code ec;
  // The highest folder this copy makes: a failed copy removes it with what it holds.
  fs::path first_made;
  for (fs::path p = path; !p.empty() && p != p.parent_path() && !fs::exists(p, ec);
       p = p.parent_path()) {
    first_made = p;
  }
  fs::create_directories(path, ec);
  if (ec) co_return co_await http::answer_error(exchange, file_error("mkdir", path, ec.value()));
  sandbox::TarReader reader(path);
  http::BodyReader body(exchange);
  auto received = co_await receive(body, [&](std::string_view data) { return reader.write(data); });
  Result<void> finished = received ? reader.finish() : Result<void>(received.error());
  if (!finished) {  // a failed copy leaves nothing partial behind
    reader.discard();
    if (!first_made.empty()) fs::remove_all(first_made, ec);
  }
  auto response = finished ? http::make_response(body.header(), bhttp::status::ok,
                                                 Json{{"path", path},
                                                      {"entries", reader.stats().entries},
                                                      {"bytes", reader.stats().bytes}}
                                                     .dump())
                           : http::error_response(body.header(), finished.error());
  if (!body.done()) response.keep_alive(false);
  co_return co_await http::send(exchange.stream, std::move(response));
}

asio::awaitable<bool> remove(http::Exchange& exchange, const std::string& path, bool recursive) {
  struct stat st {};
  if (lstat(path.c_str(), &st) != 0)
    co_return co_await http::answer_error(exchange, file_error("lstat", path, errno));
  if (path == "/")
    co_return co_await http::answer_error(exchange,
                                          make_error(Errc::forbidden, "refusing to delete '/'"));
  std::error_code ec;
  if (S_ISDIR(st.st_mode) && recursive) {
    fs::remove_all(path, ec);
  } else if (S_ISDIR(st.st_mode)) {
    if (rmdir(path.c_str()) != 0) ec.assign(errno, std::generic_category());
  } else if (unlink(path.c_str()) != 0) {
    ec.assign(errno, std::generic_category());
  }
  if (ec) {
    auto error = file_error("delete", path, ec.value());
    if (ec.value() == ENOTEMPTY) error.message += " (use recursive=true)";
    co_return co_await http::answer_error(exchange, error);
  }
  Json deleted{{"path", path}, {"deleted", true}};
  co_return co_await answer_json(exchange, deleted);
}

Result<unsigned> parse_mode(const sandbox::Target& target) {
  auto it = target.query.find("mode");
  if (it == target.query.end()) return 0644u;
  const std::string& text = it->second;
  if (text.empty() || text.size() > 4 || text.find_first_not_of("01234567") != std::string::npos) {
    return make_error(Errc::invalid_argument, "mode must be octal like 0644, got '" + text + "'");
  }
  return static_cast<unsigned>(std::stoul(text, nullptr, 8)) & 0777;
}

}  // namespace

asio::awaitable<bool> serve_files(http::Exchange& exchange, const sandbox::Target& target,
                                  const ExecDefaults& defaults) {
  auto path_param = target.query.find("path");
  if (path_param == target.query.end() || path_param->second.empty()) {
    co_return co_await http::answer_error(exchange,
                                          make_error(Errc::invalid_argument, "give ?path=..."));
  }
  const std::string path = resolve_path(path_param->second, defaults.cwd);
  if (exchange.header().method() != bhttp::verb::get) {
    if (auto r = check_tree_path(path); !r)
      co_return co_await http::answer_error(exchange, r.error());
  }
  const auto flag = [&](const char* name) {
    auto it = target.query.find(name);
    return it != target.query.end() && (it->second == "true" || it->second == "1");
  };
  switch (exchange.header().method()) {
    case bhttp::verb::get:
      co_return co_await get(exchange, path, target);
    case bhttp::verb::put: {
      if (flag("extract")) co_return co_await put_tar(exchange, path);
      if (flag("directory")) {
        std::error_code ec;
        fs::create_directories(path, ec);
        if (ec)
          co_return co_await http::answer_error(exchange, file_error("mkdir", path, ec.value()));
        Json made{{"path", path}, {"type", "directory"}};
        co_return co_await answer_json(exchange, made);
      }
      auto mode = parse_mode(target);
      if (!mode) co_return co_await http::answer_error(exchange, mode.error());
      co_return co_await put_file(exchange, path, *mode);
    }
    case bhttp::verb::delete_:
      co_return co_await remove(exchange, path, flag("recursive"));
    default:
      break;
  }
  co_return co_await http::answer_error(
      exchange, make_error(Errc::invalid_argument, "/files takes GET, PUT or DELETE"));
}

}  // namespace hive::agent
