// Client side of the agent's /files surface (docs/api.md), and cp over tar.
#include <sys/stat.h>

#include <filesystem>

#include "hive/sandbox/client.hpp"
#include "hive/sandbox/tar.hpp"
#include "hive/sandbox/url.hpp"
#include "transport.hpp"

namespace hive::sandbox {
namespace {

namespace fs = std::filesystem;

std::string files_path(const std::string& id, const std::string& path) {
  return "/v1/sandboxes/" + escape_segment(id) + "/files?path=" + percent_encode(path, true);
}

Result<FileInfo> info_from_json(const Json& json) {
  if (!json.is_object())
    return make_error(Errc::internal, "hive-server sent a malformed file entry");
  FileInfo info;
  info.name = json.value("name", "");
  info.path = json.value("path", "");
  info.type = json.value("type", "");
  info.size = json.value("size", std::int64_t{0});
  info.mode = json.value("mode", "");
  info.mtime = json.value("mtime", std::int64_t{0});
  info.target = json.value("target", "");
  return info;
}

std::string name_of(const std::string& path) {
  auto name = fs::path(path).lexically_normal().filename().string();
  if (name.empty()) name = fs::path(path).lexically_normal().parent_path().filename().string();
  return name;
}

std::string parent_of(const std::string& path) {
  auto parent = fs::path(path).lexically_normal().parent_path().string();
  return parent.empty() ? "." : parent;
}

}  // namespace

Result<std::string> Client::read_file(const std::string& id, const std::string& path) {
  std::string data;
  Transport::Streamed call;
  call.path = files_path(id, path);
  call.on_data = [&data](std::string_view piece) {
    data.append(piece);
    return true;
  };
  if (auto r = transport_->stream(call); !r) return r.error();
  return data;
}

Result<void> Client::write_file(const std::string& id, const std::string& path,
                                std::string_view data, const std::string& mode) {
  Transport::Streamed call;
  call.method = "PUT";
  call.path = files_path(id, path) + "&mode=" + percent_encode(mode);
  call.headers = {"Content-Type: application/octet-stream"};
  call.body = std::string(data);
  return transport_->stream(call);
}

Result<FileInfo> Client::stat_file(const std::string& id, const std::string& path) {
  auto body = transport_->call("GET", files_path(id, path) + "&stat=true");
  if (!body) return body.error();
  return info_from_json(*body);
}

Result<std::vector<FileInfo>> Client::list_files(const std::string& id, const std::string& path) {
  auto body = transport_->call("GET", files_path(id, path));
  if (!body) return body.error();
  std::vector<FileInfo> out;
  for (const auto& entry : body->value("entries", Json::array())) {
    auto info = info_from_json(entry);
    if (!info) return info.error();
    out.push_back(std::move(*info));
  }
  return out;
}

Result<void> Client::remove_file(const std::string& id, const std::string& path, bool recursive) {
  auto body =
      transport_->call("DELETE", files_path(id, path) + (recursive ? "&recursive=true" : ""));
  if (!body) return body.error();
  return {};
}

Result<void> Client::make_directory(const std::string& id, const std::string& path) {
  auto body = transport_->call("PUT", files_path(id, path) + "&directory=true");
  if (!body) return body.error();
  return {};
}

Result<CopyStats> Client::copy_to(const std::string& id, const std::string& local_path,
                                  const std::string& remote_path, const OnCopied& on_progress) {
  struct stat st {};
  if (lstat(local_path.c_str(), &st) != 0) return sys_error("lstat", local_path, errno);
  auto remote = stat_file(id, remote_path);
  if (!remote && remote.error().code != Errc::not_found) return remote.error();
  const bool into_directory = remote && remote->type == "directory";
  const std::string directory = into_directory ? remote_path : parent_of(remote_path);
  TarWriter writer(local_path, into_directory ? name_of(local_path) : name_of(remote_path));
  if (auto r = writer.open(); !r) return r.error();
  Transport::Streamed call;
  call.method = "PUT";
  call.path = files_path(id, directory) + "&extract=true";
  call.headers = {"Content-Type: application/x-tar"};
  std::uint64_t sent = 0;
  call.upload = [&](char* into, std::size_t room) {
    auto got = writer.read(into, room);
    if (got && on_progress) on_progress(sent += *got);
    return got;
  };
  std::string answer;
  call.on_data = [&answer](std::string_view piece) {
    answer.append(piece);
    return true;
  };
  if (auto r = transport_->stream(call); !r) return r.error().context("copying to " + id);
  auto json = parse_json(answer);
  if (!json || !json->is_object())
    return make_error(Errc::internal, "hive-server sent a malformed answer");
  return CopyStats{json->value("entries", std::uint64_t{0}),
                   json->value("bytes", std::uint64_t{0})};
}

Result<CopyStats> Client::copy_from(const std::string& id, const std::string& remote_path,
                                    const std::string& local_path, const OnCopied& on_progress) {
  std::error_code ec;
  const bool into_directory = fs::is_directory(local_path, ec);
  const std::string directory = into_directory ? local_path : parent_of(local_path);
  if (!fs::is_directory(directory, ec)) {
    return make_error(Errc::not_found, "local directory '" + directory + "' does not exist");
  }
  const std::string name = into_directory ? name_of(remote_path) : name_of(local_path);
  TarReader reader(directory);
  std::optional<Error> failed;
  Transport::Streamed call;
  call.path = files_path(id, remote_path) + "&as=" + percent_encode(name);
  call.headers = {"Accept: application/x-tar"};
  std::uint64_t received = 0;
  call.on_data = [&](std::string_view piece) {
    if (auto r = reader.write(piece); !r) failed = r.error();
    if (on_progress) on_progress(received += piece.size());
    return !failed;
  };
  if (auto r = transport_->stream(call); !r) return r.error().context("copying from " + id);
  if (failed) return *failed;
  if (auto r = reader.finish(); !r) return r.error();
  return CopyStats{reader.stats().entries, reader.stats().bytes};
}

}  // namespace hive::sandbox
