#include "transport.hpp"

#include <curl/curl.h>

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

}  // namespace

Transport::Transport(ClientOptions options) : options_(std::move(options)) {
  static std::once_flag global_init;
  std::call_once(global_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  while (!options_.server.empty() && options_.server.back() == '/') options_.server.pop_back();
  curl_ = curl_easy_init();
}

Transport::~Transport() { curl_easy_cleanup(static_cast<CURL*>(curl_)); }

Result<Json> Transport::call(const char* method, const std::string& path, const Json* body) {
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
    return make_error(Errc::transport, "cannot reach hive-server at " + options_.server + ": " +
                                           curl_easy_strerror(rc));
  }
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  if (status < 200 || status >= 300) return error_from_body(response_body, errc_for_status(status));
  auto parsed = parse_json(response_body, 64);
  if (!parsed) return make_error(Errc::internal, "hive-server sent malformed JSON");
  return parsed;
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
