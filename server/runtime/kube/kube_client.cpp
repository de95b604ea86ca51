#include "runtime/kube/kube_client.hpp"

#include <curl/curl.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include <yaml-cpp/yaml.h>

#include "hive/sandbox/codec.hpp"

namespace hive::server::kube {
namespace {

using nlohmann::json;
constexpr int kRetries = 3;
constexpr const char* kServiceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount";

Result<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(Errc::invalid_argument, "cannot read " + path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string trim(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

// A kubeconfig's "*-data" fields are base64 of PEM.
Result<std::string> decoded(const YAML::Node& node, const std::string& field) {
  if (!node[field]) return std::string();
  auto pem = sandbox::base64_decode(node[field].as<std::string>());
  if (!pem) return make_error(Errc::invalid_argument, "kubeconfig: " + field + " is not base64");
  return *pem;
}

YAML::Node named(const YAML::Node& list, const std::string& name, const char* key) {
  for (const auto& item : list) {
    if (item["name"] && item["name"].as<std::string>() == name) return item[key];
  }
  return YAML::Node();
}

// The thread's own easy handle: reused so its connection to the API server stays open.
CURL* thread_handle() {
  struct Handle {
    CURL* curl = curl_easy_init();
    ~Handle() { curl_easy_cleanup(curl); }
  };
  thread_local Handle handle;
  curl_easy_reset(handle.curl);
  return handle.curl;
}

size_t append_body(char* data, size_t size, size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

// The server's Status message, or the body itself when it is not one.
std::string api_message(const json& body) {
  if (body.is_object() && body.contains("message") && body["message"].is_string()) {
    return body["message"].get<std::string>();
  }
  return body.is_null() ? std::string() : sandbox::dump(body);
}

}  // namespace

Result<KubeConfig> in_cluster_config() {
  const char* host = getenv("KUBERNETES_SERVICE_HOST");
  const char* port = getenv("KUBERNETES_SERVICE_PORT");
  if (host == nullptr || port == nullptr) {
    return make_error(Errc::invalid_argument,
                      "not in a cluster (KUBERNETES_SERVICE_HOST is not set): give --kubeconfig");
  }
  KubeConfig config;
  std::string address = host;
  if (address.find(':') != std::string::npos) address = "[" + address + "]";  // IPv6
  config.server = "https://" + address + ":" + port;
  config.token_file = std::string(kServiceAccountDir) + "/token";
  config.ca_file = std::string(kServiceAccountDir) + "/ca.crt";
  auto ns = read_file(std::string(kServiceAccountDir) + "/namespace");
  if (ns) config.namespace_name = trim(*ns);
  if (auto token = read_file(config.token_file); !token) return token.error();
  return config;
}

Result<KubeConfig> kubeconfig_file(const std::string& path, const std::string& context) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::Exception& e) {
    return make_error(Errc::invalid_argument, "kubeconfig " + path + ": " + e.what());
  }
  try {
    std::string name = context.empty() ? root["current-context"].as<std::string>("") : context;
    YAML::Node ctx = named(root["contexts"], name, "context");
    if (!ctx)
      return make_error(Errc::invalid_argument,
                        "kubeconfig " + path + ": no context '" + name + "'");
    YAML::Node cluster = named(root["clusters"], ctx["cluster"].as<std::string>(""), "cluster");
    YAML::Node user = named(root["users"], ctx["user"].as<std::string>(""), "user");
    if (!cluster || !cluster["server"]) {
      return make_error(Errc::invalid_argument,
                        "kubeconfig " + path + ": context '" + name + "' has no cluster server");
    }
    KubeConfig config;
    config.server = cluster["server"].as<std::string>();
    config.insecure = cluster["insecure-skip-tls-verify"].as<bool>(false);
    config.ca_file = cluster["certificate-authority"].as<std::string>("");
    auto ca = decoded(cluster, "certificate-authority-data");
    if (!ca) return ca.error();
    config.ca_data = *ca;
    config.namespace_name = ctx["namespace"].as<std::string>("");
    if (user) {
      config.token = user["token"].as<std::string>("");
      config.token_file = user["tokenFile"].as<std::string>("");
      auto cert = decoded(user, "client-certificate-data");
      auto key = decoded(user, "client-key-data");
      if (!cert) return cert.error();
      if (!key) return key.error();
      config.cert_data = *cert;
      config.key_data = *key;
    }
    return config;
  } catch (const YAML::Exception& e) {
    return make_error(Errc::invalid_argument, "kubeconfig " + path + ": " + e.what());
  }
}

Error status_error(long http_status, const json& body, const std::string& what) {
  std::string message = what + ": " + api_message(body);
  switch (http_status) {
    case 401:
      return {Errc::unauthorized, message + " (the server's Kubernetes credentials were refused)"};
    case 403:  // RBAC says "... cannot <verb> resource ..."; admission refusals say otherwise
      if (message.find(" cannot ") != std::string::npos)
        message += " (check the server's Role: k8s/rbac.yaml)";
      return {Errc::forbidden, message};
    case 404:
      return {Errc::not_found, message};
    case 409:
      return {Errc::conflict, message};
    case 410:
      return {Errc::conflict, message + " (resourceVersion too old)"};
    case 400:
    case 422:
      return {Errc::invalid_argument, message};
    case 429:
      return {Errc::unavailable, message + " (Kubernetes API rate limit)"};
    default:
      return {Errc::unavailable,
              message + " (Kubernetes API answered " + std::to_string(http_status) + ")"};
  }
}

struct KubeClient::Share {
  CURLSH* handle = curl_share_init();
  std::mutex locks[CURL_LOCK_DATA_LAST];
  Share() {
    curl_share_setopt(handle, CURLSHOPT_LOCKFUNC, &Share::lock);
    curl_share_setopt(handle, CURLSHOPT_UNLOCKFUNC, &Share::unlock);
    curl_share_setopt(handle, CURLSHOPT_USERDATA, this);
    curl_share_setopt(handle, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
    curl_share_setopt(handle, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    curl_share_setopt(handle, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
  }
  ~Share() { curl_share_cleanup(handle); }
  static void lock(CURL*, curl_lock_data data, curl_lock_access, void* self) {
    static_cast<Share*>(self)->locks[data].lock();
  }
  static void unlock(CURL*, curl_lock_data data, void* self) {
    static_cast<Share*>(self)->locks[data].unlock();
  }
};

KubeClient::KubeClient(KubeConfig config, RateLimit limit)
    : share_(std::make_shared<Share>()),
      config_(std::move(config)),
      limit_(limit),
      tokens_(limit.burst),
      refilled_(std::chrono::steady_clock::now()) {}

// A token bucket: `qps` a second, up to `burst` saved. Waits outside the lock.
void KubeClient::wait_for_token() {
  for (;;) {
    std::chrono::duration<double> wait{};
    {
      std::lock_guard lock(mutex_);
      auto now = std::chrono::steady_clock::now();
      tokens_ =
          std::min(limit_.burst,
                   tokens_ + limit_.qps * std::chrono::duration<double>(now - refilled_).count());
      refilled_ = now;
      if (tokens_ >= 1) {
        tokens_ -= 1;
        return;
      }
      wait = std::chrono::duration<double>((1 - tokens_) / limit_.qps);
    }
    std::this_thread::sleep_for(wait);
  }
}

std::string KubeClient::bearer() {
  if (!config_.token_file.empty()) {
    if (auto token = read_file(config_.token_file)) return trim(*token);
  }
  return config_.token;
}

namespace {

struct Headers {
  curl_slist* list = nullptr;
  ~Headers() { curl_slist_free_all(list); }
  void add(const std::string& line) { list = curl_slist_append(list, line.c_str()); }
};

size_t read_retry_after(char* data, size_t size, size_t count, void* out) {
  std::string line(data, size * count);
  if (line.size() > 12 && strncasecmp(line.c_str(), "Retry-After:", 12) == 0) {
    *static_cast<double*>(out) = std::atof(line.c_str() + 12);
  }
  return size * count;
}

void set_tls(CURL* curl, const KubeConfig& config) {
  if (config.insecure) {
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  if (!config.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, config.ca_file.c_str());
  if (!config.ca_data.empty()) {
    curl_blob blob{const_cast<char*>(config.ca_data.data()), config.ca_data.size(),
                   CURL_BLOB_NOCOPY};
    curl_easy_setopt(curl, CURLOPT_CAINFO_BLOB, &blob);
  }
  if (!config.cert_data.empty()) {
    curl_blob cert{const_cast<char*>(config.cert_data.data()), config.cert_data.size(),
                   CURL_BLOB_NOCOPY};
    curl_blob key{const_cast<char*>(config.key_data.data()), config.key_data.size(),
                  CURL_BLOB_NOCOPY};
    curl_easy_setopt(curl, CURLOPT_SSLCERT_BLOB, &cert);
    curl_easy_setopt(curl, CURLOPT_SSLCERTTYPE, "PEM");
    curl_easy_setopt(curl, CURLOPT_SSLKEY_BLOB, &key);
    curl_easy_setopt(curl, CURLOPT_SSLKEYTYPE, "PEM");
  }
}

}  // namespace

Result<KubeClient::Raw> KubeClient::perform(const std::string& method, const std::string& path,
                                            const std::string* body, const char* content_type) {
  wait_for_token();
  CURL* curl = thread_handle();
  Raw raw;
  Headers headers;
  headers.add("Accept: application/json");
  if (std::string token = bearer(); !token.empty()) headers.add("Authorization: Bearer " + token);
  if (body != nullptr) headers.add(std::string("Content-Type: ") + content_type);
  headers.add("Expect:");  // no "100 Continue" round trip before a body
  std::string url = config_.server + path;
  // Connections and TLS sessions come from the client's share, so a call on any worker thread
  // reuses an open connection to the API server; the handle lets go of the share after.
  curl_easy_setopt(curl, CURLOPT_SHARE, share_->handle);
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.list);
  if (body != nullptr) {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body->data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body->size()));
  }
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, append_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &raw.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, read_retry_after);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &raw.retry_after);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 30000L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  set_tls(curl, config_);
  CURLcode rc = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &raw.status);
  curl_easy_setopt(curl, CURLOPT_SHARE, nullptr);
  if (rc != CURLE_OK) {
    return make_error(Errc::unavailable,
                      "Kubernetes API at " + config_.server + ": " + curl_easy_strerror(rc));
  }
  return raw;
}

Result<json> KubeClient::call(const std::string& method, const std::string& path, const json* body,
                              const char* content_type) {
  std::string text = body == nullptr ? "" : body->dump();
  for (int attempt = 0;; ++attempt) {
    auto raw = perform(method, path, body == nullptr ? nullptr : &text, content_type);
    if (!raw) return raw.error();
    json parsed = json::parse(raw->body, nullptr, false);
    if (parsed.is_discarded()) parsed = raw->body;
    if (raw->status >= 200 && raw->status < 300) return parsed;
    bool retry = (raw->status == 429 || raw->status == 503) && attempt < kRetries;
    if (!retry) return status_error(raw->status, parsed, method + " " + path);
    double seconds = raw->retry_after > 0 ? std::min(raw->retry_after, 10.0) : 1.0 * (attempt + 1);
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  }
}

namespace {

struct WatchState {
  const std::function<bool(json)>* on_event;
  const std::atomic<bool>* stop;
  std::string pending;
  std::string first_bytes;  // a non-200 answer's body, for the error
  long status = 0;
  bool ended = false;  // on_event said stop
};

size_t on_watch_bytes(char* data, size_t size, size_t count, void* user) {
  auto& state = *static_cast<WatchState*>(user);
  if (state.status != 200) {
    if (state.first_bytes.size() < 4096) state.first_bytes.append(data, size * count);
    return size * count;
  }
  state.pending.append(data, size * count);
  std::size_t start = 0;
  for (std::size_t nl; (nl = state.pending.find('\n', start)) != std::string::npos;
       start = nl + 1) {
    json event = json::parse(state.pending.begin() + static_cast<long>(start),
                             state.pending.begin() + static_cast<long>(nl), nullptr, false);
    if (event.is_discarded() || !event.is_object()) continue;
    if (!(*state.on_event)(std::move(event)) || state.stop->load()) {
      state.ended = true;
      return 0;  // aborts the transfer
    }
  }
  state.pending.erase(0, start);
  return size * count;
}

size_t on_watch_header(char* data, size_t size, size_t count, void* user) {
  auto& state = *static_cast<WatchState*>(user);
  std::string line(data, size * count);
  if (line.rfind("HTTP/", 0) == 0) {
    auto space = line.find(' ');
    if (space != std::string::npos) state.status = std::atol(line.c_str() + space + 1);
  }
  return size * count;
}

int on_watch_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<WatchState*>(user)->stop->load() ? 1 : 0;
}

}  // namespace

Result<void> KubeClient::watch(const std::string& path, const std::function<bool(json)>& on_event,
                               const std::atomic<bool>& stop) {
  wait_for_token();
  CURL* curl = curl_easy_init();
  WatchState state{&on_event, &stop, {}, {}, 0, false};
  Headers headers;
  headers.add("Accept: application/json");
  if (std::string token = bearer(); !token.empty()) headers.add("Authorization: Bearer " + token);
  std::string url = config_.server + path;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.list);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_watch_bytes);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &state);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_watch_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &state);
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_watch_progress);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &state);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
  // A watch carries a bookmark at least every minute or so: silence past this is a dead link.
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, 120L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  set_tls(curl, config_);
  CURLcode rc = curl_easy_perform(curl);
  curl_easy_cleanup(curl);
  if (state.ended || stop.load()) return {};
  if (state.status != 0 && state.status != 200) {
    json body = json::parse(state.first_bytes, nullptr, false);
    return status_error(state.status, body.is_discarded() ? json(state.first_bytes) : body,
                        "watch " + path);
  }
  if (rc != CURLE_OK) {
    return make_error(Errc::unavailable, "watch " + path + ": " + curl_easy_strerror(rc));
  }
  return {};  // the server ended the watch (its timeout)
}

}  // namespace hive::server::kube
