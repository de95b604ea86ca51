#include "transport.hpp"

#include <curl/curl.h>

#include <memory>
#include <mutex>

namespace hive::sandbox {
namespace {

std::size_t collect(char* data, std::size_t size, std::size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

Errc errc_for_status(long status) {
  switch (status) {
    case 400:
    case 405:
      return Errc::invalid_argument;
    case 401:
      return Errc::unauthorized;
    case 403:
      return Errc::forbidden;
    case 404:
      return Errc::not_found;
    case 409:
      return Errc::conflict;
    case 413:
      return Errc::payload_too_large;
    case 507:
      return Errc::insufficient_storage;
    case 429:
      return Errc::too_many_requests;
    case 502:
      return Errc::agent_error;
    case 503:
      return Errc::unavailable;
    case 504:
      return Errc::timeout;
    default:
      return Errc::internal;
  }
}

// A failed transfer, worded by what failed: no connection, no answer in time, or else curl's.
Error transfer_error(CURL* curl, CURLcode rc, const std::string& server,
                     std::chrono::milliseconds connect_timeout,
                     std::chrono::milliseconds deadline) {
  curl_off_t connected_us = 0;
  curl_easy_getinfo(curl, CURLINFO_CONNECT_TIME_T, &connected_us);
  const bool connected = connected_us > 0;
  if (rc == CURLE_OPERATION_TIMEDOUT && connected) {
    return make_error(Errc::transport,
                      "server " + server + " did not answer within " + seconds_text(deadline));
  }
  if (rc == CURLE_OPERATION_TIMEDOUT) {
    const auto waited =
        deadline.count() > 0 ? std::min(deadline, connect_timeout) : connect_timeout;
    return make_error(Errc::transport, "cannot reach hive-server at " + server +
                                           ": no connection within " + seconds_text(waited));
  }
  if (connected) {
    return make_error(Errc::transport, "transfer with hive-server at " + server +
                                           " failed: " + curl_easy_strerror(rc));
  }
  return make_error(Errc::transport,
                    "cannot reach hive-server at " + server + ": " + curl_easy_strerror(rc));
}

// An answer no Hive server gives (a body that is not JSON: an HTML page, say): whoever answered
// at that address is something else, and its page is no message to show.
bool is_foreign(const std::string& body) { return !body.empty() && !parse_json(body); }

Error foreign_answer(CURL* curl, const std::string& server, const char* method,
                     const std::string& path, long status) {
  const char* type = nullptr;
  curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &type);
  std::string media = type != nullptr ? type : "no content type";
  media = media.substr(0, media.find(';'));
  return make_error(Errc::transport, server + " is not a Hive server (got " + media + " " +
                                         std::to_string(status) + " from " + method + " " +
                                         path.substr(0, path.find('?')) + ")");
}

struct StreamState {
  const Transport::Streamed* request = nullptr;
  long status = 0;
  std::string error_body;  // a non-2xx answer, collected
  bool stopped = false;    // on_data said stop
  Error upload_error{Errc::internal, ""};
};

std::size_t on_stream_data(char* data, std::size_t size, std::size_t count, void* user) {
  auto* state = static_cast<StreamState*>(user);
  const std::size_t n = size * count;
  if (state->status < 200 || state->status >= 300) {
    if (state->error_body.size() < 65536) state->error_body.append(data, n);
    return n;
  }
  if (!state->request->on_data || state->request->on_data(std::string_view(data, n))) return n;
  state->stopped = true;
  return 0;  // makes curl stop with CURLE_WRITE_ERROR
}

std::size_t on_stream_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto* state = static_cast<StreamState*>(user);
  std::string_view line(data, size * count);
  // "HTTP/1.1 200 OK": the status, before any body byte arrives.
  if (line.rfind("HTTP/", 0) == 0 && line.size() > 12) {
    state->status = std::strtol(std::string(line.substr(9, 3)).c_str(), nullptr, 10);
  } else if (auto colon = line.find(':');
             colon != std::string_view::npos && state->request->on_header) {
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
      value.remove_prefix(1);
    while (!value.empty() &&
           (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) {
      value.remove_suffix(1);
    }
    state->request->on_header(line.substr(0, colon), value);
  }
  return size * count;
}

std::size_t on_stream_upload(char* into, std::size_t size, std::size_t count, void* user) {
  auto* state = static_cast<StreamState*>(user);
  auto got = state->request->upload(into, size * count);
  if (!got) {
    state->upload_error = got.error();
    return CURL_READFUNC_ABORT;
  }
  return *got;
}

}  // namespace

Transport::Transport(ClientOptions options) : options_(std::move(options)) {
  static std::once_flag global_init;
  std::call_once(global_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  while (!options_.server.empty() && options_.server.back() == '/') options_.server.pop_back();
  curl_ = curl_easy_init();
}

Transport::~Transport() { curl_easy_cleanup(static_cast<CURL*>(curl_)); }

Result<Json> Transport::call(const char* method, const std::string& path, const Json* body,
                             Answer answer) {
  auto* curl = static_cast<CURL*>(curl_);
  if (curl == nullptr) return make_error(Errc::internal, "curl_easy_init failed");
  curl_easy_reset(curl);
  const std::string url = options_.server + path;
  std::string request_body = body ? body->dump() : "";
  std::string response_body;
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, "Accept: application/json");
  headers = curl_slist_append(headers, "Content-Type: application/json");
  headers = curl_slist_append(headers, "Expect:");
  if (!options_.token.empty()) {
    headers = curl_slist_append(headers, ("Authorization: Bearer " + options_.token).c_str());
  }
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(options_.connect_timeout.count()));
  const auto deadline =
      answer == Answer::AtOnce ? options_.request_timeout : options_.waiting_request_timeout;
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(deadline.count()));
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response_body);
  curl_easy_setopt(curl, CURLOPT_TCP_NODELAY, 1L);
  if (body != nullptr) {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request_body.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request_body.size()));
  }
  CURLcode rc = curl_easy_perform(curl);
  curl_slist_free_all(headers);
  if (rc != CURLE_OK) {
    return transfer_error(curl, rc, options_.server, options_.connect_timeout, deadline);
  }
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  // Parsed once: a waited exec's answer can be 32 MiB of output.
  auto parsed = parse_json(response_body, 64);
  if (!parsed && !response_body.empty()) {
    return foreign_answer(curl, options_.server, method, path, status);
  }
  if (status < 200 || status >= 300) return error_from_body(response_body, errc_for_status(status));
  if (!parsed) return make_error(Errc::internal, "hive-server sent malformed JSON");
  return parsed;
}

Result<void> Transport::stream(const Streamed& request) {
  auto* curl = static_cast<CURL*>(curl_);
  if (curl == nullptr) return make_error(Errc::internal, "curl_easy_init failed");
  curl_easy_reset(curl);
  const std::string url = options_.server + request.path;
  StreamState state{&request};
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, "Expect:");
  for (const auto& header : request.headers) headers = curl_slist_append(headers, header.c_str());
  if (!options_.token.empty()) {
    headers = curl_slist_append(headers, ("Authorization: Bearer " + options_.token).c_str());
  }
  if (request.upload) headers = curl_slist_append(headers, "Transfer-Encoding: chunked");
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(options_.connect_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_stream_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &state);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_stream_data);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &state);
  if (request.upload) {
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, on_stream_upload);
    curl_easy_setopt(curl, CURLOPT_READDATA, &state);
  } else if (!request.body.empty() || std::string_view(request.method) == "POST" ||
             std::string_view(request.method) == "PUT") {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request.body.size()));
  }
  CURLcode rc = curl_easy_perform(curl);
  curl_slist_free_all(headers);
  if (rc == CURLE_ABORTED_BY_CALLBACK && !state.upload_error.message.empty()) {
    return state.upload_error;
  }
  if (state.stopped) return {};
  if (state.status != 0 && (state.status < 200 || state.status >= 300)) {
    if (is_foreign(state.error_body)) {
      return foreign_answer(curl, options_.server, request.method, request.path, state.status);
    }
    return error_from_body(state.error_body, errc_for_status(state.status));
  }
  if (rc != CURLE_OK) {
    return transfer_error(curl, rc, options_.server, options_.connect_timeout, {});
  }
  return {};
}

std::string seconds_text(std::chrono::milliseconds duration) {
  std::string text = std::to_string(static_cast<double>(duration.count()) / 1000);
  text.erase(text.find_last_not_of('0') + 1);
  if (text.back() == '.') text.pop_back();
  return text + "s";
}

std::function<bool(std::string_view)> line_splitter(std::function<bool(std::string_view)> on_line) {
  auto partial = std::make_shared<std::string>();  // a line not yet ended
  return [partial, on_line = std::move(on_line)](std::string_view data) {
    partial->append(data);
    std::size_t start = 0;
    for (auto nl = partial->find('\n'); nl != std::string::npos; nl = partial->find('\n', start)) {
      if (!on_line(std::string_view(*partial).substr(start, nl - start))) return false;
      start = nl + 1;
    }
    partial->erase(0, start);
    return true;
  };
}

std::string escape_segment(const std::string& text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

}  // namespace hive::sandbox
