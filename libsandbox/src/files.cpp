// Client side of the agent's /files surface (docs/api.md), and cp over tar.
#include <sys/stat.h>

#include <filesystem>
#include <optional>

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

namespace {

// docker cp's rules, both ways (SRC and DEST as given, DEST's trailing '/' meaning "a
// directory"):
//   DEST is a directory          -> SRC goes into it, keeping its name
//   DEST is a file               -> a file SRC replaces it; a directory SRC is refused
//   DEST does not exist          -> SRC is made there under DEST's name (a directory SRC
//                                   becomes DEST), unless SRC is a file and DEST ends in '/'
struct CopyPlan {
  std::string directory;  // where the archive is unpacked
  std::string name;       // SRC's name in the archive
};

Result<CopyPlan> plan_copy(bool source_is_directory, const std::string& source,
                           const std::string& dest, std::optional<bool> dest_is_directory) {
  const bool trailing = dest.size() > 1 && dest.back() == '/';
  std::string clean = dest;
  while (clean.size() > 1 && clean.back() == '/') clean.pop_back();
  if (dest_is_directory && *dest_is_directory) return CopyPlan{clean, name_of(source)};
  if (dest_is_directory) {
    if (source_is_directory) {
      return make_error(Errc::conflict,
                        "cannot copy the directory '" + source + "' onto the file '" + clean + "'");
    }
    if (trailing) return make_error(Errc::conflict, "'" + clean + "' is not a directory");
    return CopyPlan{parent_of(clean), name_of(clean)};
  }
  if (trailing && !source_is_directory) {
    return make_error(Errc::not_found, "the destination directory '" + dest +
                                           "' does not exist (cp makes a directory only "
                                           "for a directory)");
  }
  return CopyPlan{parent_of(clean), name_of(clean)};
}

}  // namespace

Result<CopyStats> Client::copy_to(const std::string& id, const std::string& local_path,
                                  const std::string& remote_path, const OnCopied& on_progress) {
  struct stat st {};
  if (lstat(local_path.c_str(), &st) != 0) return sys_error("lstat", local_path, errno);
  std::string remote_clean = remote_path;
  while (remote_clean.size() > 1 && remote_clean.back() == '/') remote_clean.pop_back();
  auto remote = stat_file(id, remote_clean);
  if (!remote && remote.error().code != Errc::not_found) return remote.error();
  std::optional<bool> remote_is_directory;
  if (remote) remote_is_directory = remote->type == "directory";
  auto plan = plan_copy(S_ISDIR(st.st_mode), local_path, remote_path, remote_is_directory);
  if (!plan) return plan.error().context("copying to " + id);
  TarWriter writer(local_path, plan->name);
  if (auto r = writer.open(); !r) return r.error();
  Transport::Streamed call;
  call.method = "PUT";
  call.path = files_path(id, plan->directory) + "&extract=true";
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
  auto remote = stat_file(id, remote_path);
  if (!remote) return remote.error().context("copying from " + id);
  std::string local_clean = local_path;
  while (local_clean.size() > 1 && local_clean.back() == '/') local_clean.pop_back();
  std::error_code ec;
  std::optional<bool> local_is_directory;
  if (fs::symlink_status(local_clean, ec).type() != fs::file_type::not_found && !ec) {
    local_is_directory = fs::is_directory(local_clean, ec);
  }
  auto plan = plan_copy(remote->type == "directory", remote_path, local_path, local_is_directory);
  if (!plan) return plan.error();
  if (!fs::is_directory(plan->directory, ec)) {
    return make_error(Errc::not_found, "local directory '" + plan->directory + "' does not exist");
  }
  TarReader reader(plan->directory);
  std::optional<Error> failed;
  Transport::Streamed call;
  call.path = files_path(id, remote_path) + "&as=" + percent_encode(plan->name);
  call.headers = {"Accept: application/x-tar"};
  std::uint64_t received = 0;
  call.on_data = [&](std::string_view piece) {
    if (auto r = reader.write(piece); !r) failed = r.error();
    if (on_progress) on_progress(received += piece.size());
    return !failed;
  };
  auto streamed = transport_->stream(call);
  Result<void> finished = !streamed ? Result<void>(streamed.error().context("copying from " + id))
                          : failed  ? Result<void>(*failed)
                                    : reader.finish();
  if (!finished) {
    reader.discard();  // a failed copy leaves nothing partial behind
    return finished.error();
  }
  return CopyStats{reader.stats().entries, reader.stats().bytes};
}

}  // namespace hive::sandbox
