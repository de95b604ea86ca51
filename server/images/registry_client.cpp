#include "images/registry_client.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <memory>
#include <thread>

#include <curl/curl.h>
#include <openssl/evp.h>

#include <nlohmann/json.hpp>

#include "hive/sandbox/codec.hpp"

namespace hive::server::images {
namespace {

constexpr std::size_t kMaxManifestBytes = 4 << 20;  // distribution's own limit
constexpr std::size_t kMaxErrorBody = 64 << 10;
constexpr const char* kManifestAccept =
    "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json, "
    "application/vnd.docker.distribution.manifest.v2+json";

bool is_loopback(const std::string& domain) {
  return domain.rfind("127.", 0) == 0 || domain.rfind("localhost", 0) == 0 ||
         domain.rfind("[::1]", 0) == 0;
}

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// key="value" pairs of a WWW-Authenticate challenge after its scheme.
std::map<std::string, std::string> challenge_params(const std::string& challenge) {
  std::map<std::string, std::string> params;
  std::size_t i = challenge.find(' ');
  while (i != std::string::npos && i < challenge.size()) {
    while (i < challenge.size() && (challenge[i] == ' ' || challenge[i] == ',')) ++i;
    auto eq = challenge.find('=', i);
    if (eq == std::string::npos) break;
    std::string key = lower(challenge.substr(i, eq - i));
    std::string value;
    i = eq + 1;
    if (i < challenge.size() && challenge[i] == '"') {
      auto close = challenge.find('"', i + 1);
      if (close == std::string::npos) break;
      value = challenge.substr(i + 1, close - i - 1);
      i = close + 1;
    } else {
      auto comma = challenge.find(',', i);
      value = challenge.substr(i, comma == std::string::npos ? comma : comma - i);
      i = comma;
    }
    params[key] = value;
  }
  return params;
}

// The registry's own words from an error body ({"errors":[{"code","message"}]}), else "".
std::string registry_message(const std::string& body) {
  auto json = nlohmann::json::parse(body, nullptr, false);
  if (!json.is_object() || !json.contains("errors") || !json["errors"].is_array() ||
      json["errors"].empty() || !json["errors"][0].is_object()) {
    return "";
  }
  const auto& first = json["errors"][0];
  std::string message = first.value("message", "");
  std::string code = first.value("code", "");
  if (message.empty()) return code;
  return code.empty() ? message : message + " (" + code + ")";
}

std::string hex(const unsigned char* bytes, unsigned size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < size; ++i) {
    out += kDigits[bytes[i] >> 4];
    out += kDigits[bytes[i] & 15];
  }
  return out;
}

class Sha256 {
 public:
  Sha256() : ctx_(EVP_MD_CTX_new()) { reset(); }
  ~Sha256() { EVP_MD_CTX_free(ctx_); }
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void reset() { EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr); }
  void update(const char* data, std::size_t size) { EVP_DigestUpdate(ctx_, data, size); }
  std::string digest() {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned size = 0;
    EVP_DigestFinal_ex(ctx_, out, &size);
    return "sha256:" + hex(out, size);
  }

 private:
  EVP_MD_CTX* ctx_;
};

bool transient(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
      return true;
    default:
      return false;
  }
}

bool transient(long status) { return status == 429 || status == 408 || status >= 500; }

}  // namespace

std::string sha256_of(const std::string& bytes) {
  Sha256 hash;
  hash.update(bytes.data(), bytes.size());
  return hash.digest();
}

Result<std::string> sha256_of_file(int fd, std::int64_t& size) {
  Sha256 hash;
  size = 0;
  std::vector<char> buffer(1 << 16);
  for (std::int64_t offset = 0;;) {
    ssize_t n = pread(fd, buffer.data(), buffer.size(), offset);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return sys_error("read", "blob", errno);
    if (n == 0) break;
    hash.update(buffer.data(), static_cast<std::size_t>(n));
    offset += n;
    size = offset;
  }
  return hash.digest();
}

namespace {

// One transfer's state, reached from curl's callbacks.
struct Transfer {
  RegistryClient::Sink* sink = nullptr;
  CURL* curl = nullptr;
  std::string error_body;        // a non-2xx answer's body, for the registry's words
  std::string www_authenticate;  // of the last response (redirects reset it)
  std::string content_type;
  bool refused = false;  // the sink stopped the transfer
};

// Called by curl about once a second even when nothing arrives: a cancelled client stops.
int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<const std::atomic<bool>*>(user)->load() ? 1 : 0;
}

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::size_t n = size * count;
  long status = 0;
  curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
  if (status < 200 || status >= 300) {
    t->error_body.append(
        data, std::min(n, kMaxErrorBody - std::min(kMaxErrorBody, t->error_body.size())));
    return n;
  }
  if (!t->sink->write(data, n)) {
    t->refused = true;
    return 0;
  }
  return n;
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string line(data, size * count);
  if (line.rfind("HTTP/", 0) == 0) {  // a new response (after a redirect or a 100)
    t->www_authenticate.clear();
    t->content_type.clear();
    return size * count;
  }
  auto colon = line.find(':');
  if (colon == std::string::npos) return size * count;
  std::string name = lower(line.substr(0, colon));
  std::string value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.erase(0, 1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) {
    value.pop_back();
  }
  if (name == "www-authenticate") t->www_authenticate = value;
  if (name == "content-type") t->content_type = value;
  return size * count;
}

struct CurlDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
struct ListDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

}  // namespace

RegistryClient::RegistryClient(RegistryOptions options) : options_(std::move(options)) {
  if (options_.config_file.empty()) return;
  std::ifstream in(options_.config_file);
  auto config = nlohmann::json::parse(in, nullptr, false);
  if (!config.is_object() || !config.contains("auths") || !config["auths"].is_object()) return;
  for (const auto& [key, entry] : config["auths"].items()) {
    if (!entry.is_object()) continue;
    std::string user_pass;
    if (entry.contains("auth") && entry["auth"].is_string()) {
      auto decoded = sandbox::base64_decode(entry["auth"].get<std::string>());
      if (decoded) user_pass = *decoded;
    } else if (entry.contains("username") && entry["username"].is_string()) {
      user_pass = entry["username"].get<std::string>() + ":" + entry.value("password", "");
    }
    // Keys are "host:port", "https://host/v1/" (Docker Hub's), or a URL with a path.
    std::string host = key;
    if (auto scheme = host.find("://"); scheme != std::string::npos) host = host.substr(scheme + 3);
    host = host.substr(0, host.find('/'));
    if (host == "index.docker.io" || host == "registry-1.docker.io") host = "docker.io";
    if (!user_pass.empty()) auths_[host] = user_pass;
  }
}

std::string RegistryClient::credentials(const std::string& domain) const {
  auto it = auths_.find(domain);
  return it == auths_.end() ? "" : it->second;
}

std::string RegistryClient::base_url(const ImageRef& ref) const {
  if (ref.domain == "docker.io") {
    return options_.mirror.empty() ? "https://registry-1.docker.io" : options_.mirror;
  }
  bool insecure = is_loopback(ref.domain);
  for (const auto& host : options_.insecure) insecure = insecure || host == ref.domain;
  return (insecure ? "http://" : "https://") + ref.domain;
}

Result<RegistryClient::Response> RegistryClient::get(const ImageRef& ref, const std::string& path,
                                                     const std::string& accept, Sink& sink) {
  const std::string url = base_url(ref) + path;
  const std::string scope = ref.domain + "/" + ref.repository;
  bool challenged = false;
  for (int attempt = 1;; ++attempt) {
    std::string authorization;
    {
      std::lock_guard lock(mutex_);
      authorization = authorization_[scope];
    }
    std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
    std::unique_ptr<curl_slist, ListDeleter> headers;
    auto add = [&](const std::string& header) {
      headers.reset(curl_slist_append(headers.release(), header.c_str()));
    };
    if (!accept.empty()) add("Accept: " + accept);
    if (!authorization.empty()) add("Authorization: " + authorization);
    Transfer t;
    t.sink = &sink;
    t.curl = curl.get();
    curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(curl.get(), CURLOPT_FOLLOWLOCATION, 1L);  // blobs redirect to storage
    curl_easy_setopt(curl.get(), CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(curl.get(), CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl.get(), CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl.get(), CURLOPT_CONNECTTIMEOUT_MS, options_.connect_timeout_ms);
    curl_easy_setopt(curl.get(), CURLOPT_LOW_SPEED_LIMIT, 1024L);
    curl_easy_setopt(curl.get(), CURLOPT_LOW_SPEED_TIME, options_.low_speed_seconds);
    curl_easy_setopt(curl.get(), CURLOPT_USERAGENT, "hive");
    curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(curl.get(), CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl.get(), CURLOPT_HEADERDATA, &t);
    curl_easy_setopt(curl.get(), CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl.get(), CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(curl.get(), CURLOPT_XFERINFODATA, &cancelled_);
    if (attempt > 1 && sink.restart) sink.restart();
    CURLcode code = curl_easy_perform(curl.get());
    if (cancelled_) {
      return make_error(Errc::unavailable, "the pull from registry " + ref.domain +
                                               " was cut off: hive-server is stopping");
    }
    long status = 0;
    curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &status);
    if (t.refused) return make_error(Errc::invalid_argument, sink.why);
    const bool retry = code != CURLE_OK ? transient(code) : transient(status);
    if (retry && attempt < options_.attempts) {
      std::this_thread::sleep_for(std::chrono::milliseconds(250 << (attempt - 1)));
      continue;
    }
    if (code == CURLE_COULDNT_RESOLVE_HOST) {  // most often a mistyped registry: not a retry
      return make_error(Errc::not_found, "registry " + ref.domain +
                                             " is unreachable: its name does not resolve here");
    }
    if (code != CURLE_OK) {
      return make_error(Errc::unavailable,
                        "registry " + ref.domain + " is unreachable: " + curl_easy_strerror(code));
    }
    if (status == 401 && !challenged && !t.www_authenticate.empty()) {
      challenged = true;
      std::string value;
      if (lower(t.www_authenticate).rfind("bearer", 0) == 0) {
        auto token = fetch_token(ref, t.www_authenticate);
        if (!token) return token.error();
        value = "Bearer " + *token;
      } else if (auto creds = credentials(ref.domain); !creds.empty()) {
        value = "Basic " + sandbox::base64_encode(creds);
      }
      if (!value.empty()) {
        std::lock_guard lock(mutex_);
        authorization_[scope] = value;
        --attempt;  // answering a challenge is not a retry
        continue;
      }
    }
    if (status >= 200 && status < 300) return Response{status, t.content_type};
    std::string words = registry_message(t.error_body);
    if (words.empty()) words = "HTTP " + std::to_string(status);
    if (status == 401 || status == 403) {
      return make_error(
          Errc::unauthorized,
          "registry " + ref.domain + " refused access to " + ref.repository + ": " + words +
              (credentials(ref.domain).empty() ? " (no credentials for it: see --registry-config)"
                                               : " (with the credentials of --registry-config)"));
    }
    if (status == 404) {
      return make_error(Errc::not_found,
                        "registry " + ref.domain + " has no such " +
                            (path.find("/manifests/") != std::string::npos ? "manifest" : "blob") +
                            ": " + words);
    }
    return make_error(Errc::unavailable, "registry " + ref.domain + " answered " + words);
  }
}

Result<std::string> RegistryClient::fetch_token(const ImageRef& ref, const std::string& challenge) {
  auto params = challenge_params(challenge);
  const std::string realm = params["realm"];
  if (realm.rfind("https://", 0) != 0 && realm.rfind("http://", 0) != 0) {
    return make_error(
        Errc::unavailable,
        "registry " + ref.domain + " asked for a token from an invalid realm '" + realm + "'");
  }
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  auto escape = [&](const std::string& text) {
    char* escaped = curl_easy_escape(curl.get(), text.c_str(), static_cast<int>(text.size()));
    std::string out = escaped ? escaped : "";
    curl_free(escaped);
    return out;
  };
  std::string scope =
      params.count("scope") ? params["scope"] : "repository:" + ref.repository + ":pull";
  std::string url = realm + (realm.find('?') == std::string::npos ? "?" : "&") +
                    "service=" + escape(params["service"]) + "&scope=" + escape(scope);
  std::string body;
  Sink sink{[&](const char* data, std::size_t size) {
              if (body.size() + size > kMaxManifestBytes) return false;
              body.append(data, size);
              return true;
            },
            [&] { body.clear(); }, "the token answer is too large"};
  Transfer t;
  t.sink = &sink;
  t.curl = curl.get();
  const std::string creds = credentials(ref.domain);
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  if (!creds.empty()) {
    curl_easy_setopt(curl.get(), CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(curl.get(), CURLOPT_USERPWD, creds.c_str());
  }
  curl_easy_setopt(curl.get(), CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_CONNECTTIMEOUT_MS, options_.connect_timeout_ms);
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT, 60L);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &t);
  CURLcode code = curl_easy_perform(curl.get());
  long status = 0;
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &status);
  if (code != CURLE_OK) {
    return make_error(Errc::unavailable, "the token service of registry " + ref.domain + " (" +
                                             realm +
                                             ") is unreachable: " + curl_easy_strerror(code));
  }
  if (status == 401 || status == 403) {
    return make_error(Errc::unauthorized,
                      "registry " + ref.domain + " refused a token for " + ref.repository +
                          (creds.empty() ? " (no credentials for it: see --registry-config)"
                                         : " (the credentials of --registry-config were refused)"));
  }
  auto json = nlohmann::json::parse(body, nullptr, false);
  std::string token;
  if (json.is_object()) {
    if (json.contains("token") && json["token"].is_string()) token = json["token"];
    if (token.empty() && json.contains("access_token") && json["access_token"].is_string()) {
      token = json["access_token"];
    }
  }
  if (status != 200 || token.empty()) {
    return make_error(Errc::unavailable, "the token service of registry " + ref.domain +
                                             " answered HTTP " + std::to_string(status) +
                                             " without a token");
  }
  return token;
}

Result<FetchedManifest> RegistryClient::manifest(const ImageRef& ref,
                                                 const std::string& reference) {
  std::string body;
  Sink sink{[&](const char* data, std::size_t size) {
              if (body.size() + size > kMaxManifestBytes) return false;
              body.append(data, size);
              return true;
            },
            [&] { body.clear(); }, "the manifest of " + ref.canonical() + " is larger than 4 MiB"};
  auto response =
      get(ref, "/v2/" + ref.repository + "/manifests/" + reference, kManifestAccept, sink);
  if (!response) {
    return response.error();
  }
  FetchedManifest fetched{"", sha256_of(body), std::move(body)};
  if (is_sha256_digest(reference) && fetched.digest != reference) {
    return make_error(Errc::agent_error, "registry " + ref.domain + " sent a manifest for " +
                                             reference + " whose digest is " + fetched.digest);
  }
  auto json = nlohmann::json::parse(fetched.body, nullptr, false);
  if (json.is_object() && json.contains("mediaType") && json["mediaType"].is_string()) {
    fetched.media_type = json["mediaType"];
  } else {
    fetched.media_type = response->content_type.substr(0, response->content_type.find(';'));
  }
  return fetched;
}

Result<std::int64_t> RegistryClient::blob(const ImageRef& ref, const std::string& digest,
                                          const std::string& path, std::int64_t max_bytes,
                                          const std::function<void(std::int64_t)>& on_bytes) {
  if (!is_sha256_digest(digest)) {
    return make_error(Errc::invalid_argument, "blob digest '" + digest + "' is not sha256");
  }
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return sys_error("create", path, errno);
  Sha256 hash;
  std::int64_t bytes = 0;
  int write_errno = 0;
  Sink sink{[&](const char* data, std::size_t size) {
              if (bytes + static_cast<std::int64_t>(size) > max_bytes) return false;
              for (std::size_t done = 0; done < size;) {
                ssize_t n = ::write(fd, data + done, size - done);
                if (n < 0 && errno == EINTR) continue;
                if (n < 0) {
                  write_errno = errno;
                  return false;
                }
                done += static_cast<std::size_t>(n);
              }
              hash.update(data, size);
              bytes += static_cast<std::int64_t>(size);
              if (on_bytes) on_bytes(bytes);
              return true;
            },
            [&] {
              hash.reset();
              bytes = 0;
              (void)ftruncate(fd, 0);
              (void)lseek(fd, 0, SEEK_SET);
            },
            "registry " + ref.domain + " sent more than the " + std::to_string(max_bytes) +
                " bytes of blob " + digest + ": nothing was stored"};
  auto response = get(ref, "/v2/" + ref.repository + "/blobs/" + digest, "", sink);
  int close_rc = close(fd);
  if (write_errno != 0) return sys_error("write", path, write_errno);
  if (!response) return response.error();
  if (close_rc != 0) return sys_error("close", path, errno);
  if (auto got = hash.digest(); got != digest) {
    return make_error(Errc::agent_error, "registry " + ref.domain + " sent blob " + digest +
                                             " of " + ref.repository + " with digest " + got +
                                             ": nothing was stored");
  }
  return bytes;
}

Result<std::string> RegistryClient::small_blob(const ImageRef& ref, const std::string& digest,
                                               std::int64_t max_bytes) {
  if (!is_sha256_digest(digest)) {
    return make_error(Errc::invalid_argument, "blob digest '" + digest + "' is not sha256");
  }
  std::string bytes;
  Sink sink{[&](const char* data, std::size_t size) {
              if (static_cast<std::int64_t>(bytes.size() + size) > max_bytes) return false;
              bytes.append(data, size);
              return true;
            },
            [&] { bytes.clear(); },
            "registry " + ref.domain + " sent more than the " + std::to_string(max_bytes) +
                " bytes of blob " + digest};
  auto response = get(ref, "/v2/" + ref.repository + "/blobs/" + digest, "", sink);
  if (!response) return response.error();
  if (auto got = sha256_of(bytes); got != digest) {
    return make_error(Errc::agent_error, "registry " + ref.domain + " sent blob " + digest +
                                             " of " + ref.repository + " with digest " + got);
  }
  return bytes;
}

}  // namespace hive::server::images
