// hive-server: the control plane and gateway. Local runtime: sandboxes outlive this process;
// on start it re-adopts them from the state directory's SQLite store. Kubernetes runtime: the
// Pods are the records, so any number of replicas serve the same sandboxes.
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/thread_pool.hpp>

#include "api/auth.hpp"
#include "api/handlers.hpp"
#include "api/request_log.hpp"
#include "hive/sandbox/codec.hpp"
#include "hive/sandbox/config.hpp"
#include "images/image_store.hpp"
#include "images/layer_unpack.hpp"
#include "runtime/kube/kube_backend.hpp"
#include "runtime/local/local_runtime.hpp"
#include "service/ticker.hpp"
#include "store/store.hpp"

namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

struct Options {
  std::string listen = "127.0.0.1:7070";
  std::string state_dir = "/var/lib/hive";
  std::string runtime = "local";
  std::string agent_path;
  int workers = 64;
  int pull_workers = 256;  // mostly waiting on a registry or on another spawn's pull
  std::int64_t default_ttl = 3600;
  std::int64_t default_idle = 900;
  std::int64_t tombstone_seconds = 3600;
  std::size_t warm_pool = 0;
  std::string default_memory = "2Gi";
  std::int64_t default_pids = 1024;
  std::string default_cpu;
  std::string default_disk;
  int default_nofile = 4096;
  std::string client_config;  // "" = HIVECONFIG's first file or ~/.hive/config; "none" = leave it
  std::string token_file;     // "" = STATE_DIR/token, made on first start
  std::vector<std::string> image_aliases;  // NAME=IMAGE
  std::string log_format = "text";
  std::size_t max_streams_per_token = 4096;
  int request_timeout = 60;
  std::size_t max_connections = 0;  // 0: derived from the descriptor limit
  std::size_t max_connections_per_address = 0;
  hive::server::kube::BackendOptions kube;
  // Images (local runtime)
  std::vector<std::string> insecure_registries;
  std::string registry_config;  // "" = ~/.docker/config.json when it exists
  std::string registry_mirror;
  std::string image_cache_size;  // "" = unbounded
};

// Where records live and sandboxes run: SQLite + namespaces, or the Pod cache + Pods.
struct Backend {
  std::unique_ptr<hive::server::images::ImageStore> images;  // before the runtime that uses it
  std::unique_ptr<hive::server::Store> store;
  std::unique_ptr<hive::server::Runtime> runtime;
  std::optional<hive::server::kube::Backend> kube;
  hive::server::SqliteStore* sqlite = nullptr;  // the local runtime's store, for its backups
  hive::server::Store& the_store() { return kube ? *kube->store : *store; }
  hive::server::Runtime& the_runtime() { return kube ? *kube->runtime : *runtime; }
};

void add_kube_options(CLI::App& app, hive::server::kube::BackendOptions& kube) {
  const char* group = "Kubernetes runtime (--runtime kubernetes)";
  app.add_option("--kubeconfig", kube.kubeconfig,
                 "kubeconfig file (default: in-cluster service account)")
      ->group(group);
  app.add_option("--kube-context", kube.context, "context in --kubeconfig")->group(group);
  app.add_option("--namespace", kube.namespace_name,
                 "namespace of the sandbox Pods (default: the context's, or the server Pod's)")
      ->group(group);
  app.add_option("--kube-secret-file", kube.secret_file,
                 "key shared by all replicas; each agent's secret is derived from it")
      ->group(group);
  app.add_option("--agent-image", kube.runtime.agent_image,
                 "image holding /hive-agent, copied into every sandbox Pod")
      ->capture_default_str()
      ->group(group);
  app.add_option("--sandbox-image", kube.runtime.sandbox_image,
                 "image for sandboxes that ask for image 'host'")
      ->capture_default_str()
      ->group(group);
  app.add_option("--replica-id", kube.identity,
                 "this replica's name in the leader Lease "
                 "(default: hostname-pid)")
      ->group(group);
  app.add_option("--lease-seconds", kube.lease_duration,
                 "leader Lease duration; the leader alone reaps")
      ->check(CLI::Range(1, 3600))
      ->group(group);
  app.add_option("--kube-qps", kube.rate.qps, "Kubernetes API calls per second")
      ->check(CLI::Range(1.0, 100000.0))
      ->capture_default_str()
      ->group(group);
  app.add_option("--kube-burst", kube.rate.burst, "Kubernetes API calls allowed in a burst")
      ->check(CLI::Range(1.0, 100000.0))
      ->capture_default_str()
      ->group(group);
}

std::string replica_identity() {
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  return std::string(host) + "-" + std::to_string(getpid());
}

hive::Result<Backend> make_backend(const Options& options) {
  Backend backend;
  hive::server::images::RegistryOptions registry;
  registry.insecure = options.insecure_registries;
  registry.mirror = options.registry_mirror;
  registry.config_file = options.registry_config;
  if (const char* home = std::getenv("HOME"); registry.config_file.empty() && home) {
    registry.config_file = std::string(home) + "/.docker/config.json";
  }
  if (options.runtime == "kubernetes") {
    auto kube_options = options.kube;
    kube_options.registry = registry;
    if (kube_options.identity.empty()) kube_options.identity = replica_identity();
    auto kube = hive::server::kube::make_backend(kube_options);
    if (!kube) return kube.error().context("kubernetes runtime");
    backend.kube = std::move(*kube);
    return backend;
  }
  auto store = hive::server::SqliteStore::open(options.state_dir + "/hive.db");
  if (!store) return store.error();
  hive::server::images::ImageStoreOptions image_options;
  image_options.dir = options.state_dir + "/images";
  image_options.exe = "/proc/self/exe";  // hive-server itself unpacks layers, in a chroot
  image_options.registry = registry;
  if (!options.image_cache_size.empty()) {
    auto bytes = hive::sandbox::parse_byte_quantity(options.image_cache_size);
    if (!bytes) return bytes.error().context("--image-cache-size");
    image_options.cache_bytes = *bytes;
  }
  auto images = hive::server::images::ImageStore::open(image_options);
  if (!images) return images.error().context("image store");
  backend.images = std::move(*images);
  auto runtime = hive::server::local::LocalRuntime::create(
      {options.state_dir, options.agent_path, 2000, options.default_nofile, backend.images.get()});
  if (!runtime) return runtime.error().context("local runtime");
  backend.sqlite = store->get();
  backend.store = std::move(*store);
  backend.runtime = std::move(*runtime);
  return backend;
}

// The store as of a clean start or stop, beside it: what an operator restores from when
// hive.db is damaged (its message says so). 86 ms for 5,000 records (3.5 MB) on a busy 2-core box.
void back_up(const Backend& backend, const Options& options) {
  if (backend.sqlite == nullptr) return;
  const std::string to = options.state_dir + "/hive.db.bak";
  if (auto r = backend.sqlite->backup(to); !r) {
    spdlog::warn("could not back up the store to {}: {}", to, r.error().message);
  }
}

int fail(const std::string& message) {
  spdlog::error("{}", message);
  return 1;
}

// A new user needs no set-up: the first start adds a "local" context for this server to the
// client configuration hivectl reads (and makes it current if none is). Never overwritten.
void add_local_context(const Options& options, const std::string& address) {
  if (options.client_config == "none") return;
  const std::string path =
      options.client_config.empty()
          ? hive::sandbox::config_paths(std::getenv("HIVECONFIG"), std::getenv("HOME")).front()
          : options.client_config;
  auto config = hive::sandbox::load_config(path);
  if (!config || config->context("local")) return;
  config->put(hive::sandbox::ConfigServer{"local", "http://" + address});
  config->put(hive::sandbox::ConfigUser{"local", "", options.state_dir + "/token"});
  config->put(hive::sandbox::ConfigContext{"local", "local", "local"});
  if (config->current_context.empty()) config->current_context = "local";
  if (auto saved = hive::sandbox::save_config(path, *config); !saved) {
    spdlog::warn("could not add the local context: {}", saved.error().message);
    return;
  }
  spdlog::info("added context 'local' to {}", path);
}

std::string default_agent_path() {
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return (self.parent_path() / "hive-agent").string();
}

// Each sandbox and connection costs the server descriptors: it takes all it may (the soft
// limit raised to the hard one), and caps what clients may hold of them, unless told.
hive::http::ConnectionCaps connection_caps(const Options& options) {
  rlimit files{};
  std::uint64_t descriptors = 1024;
  if (getrlimit(RLIMIT_NOFILE, &files) == 0) {
    if (files.rlim_cur < files.rlim_max) {
      files.rlim_cur = files.rlim_max;
      setrlimit(RLIMIT_NOFILE, &files);
      getrlimit(RLIMIT_NOFILE, &files);
    }
    descriptors = files.rlim_cur == RLIM_INFINITY ? std::uint64_t{1} << 20 : files.rlim_cur;
  }
  auto caps = hive::http::default_caps(descriptors);
  if (options.max_connections > 0) {
    caps.total = options.max_connections;
    caps.per_address = std::max<std::size_t>(caps.total / 4, 1);
  }
  if (options.max_connections_per_address > 0) {
    caps.per_address = options.max_connections_per_address;
  }
  if (auto safe = hive::http::default_caps(descriptors).total; caps.total > safe) {
    spdlog::warn(
        "--max-connections {} is past the {} that a limit of {} descriptors keeps "
        "safe: a flood may leave the server without descriptors for its own work",
        caps.total, safe, descriptors);
  }
  spdlog::info("descriptor limit {}: at most {} client connections, {} per address", descriptors,
               caps.total, caps.per_address);
  return caps;
}

// "127.0.0.1:7070" or "[::1]:7070" -> endpoint.
std::optional<tcp::endpoint> parse_listen(const std::string& text) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos) return std::nullopt;
  std::string host = text.substr(0, colon);
  if (host.size() > 1 && host.front() == '[') host = host.substr(1, host.size() - 2);
  boost::system::error_code ec;
  auto address = asio::ip::make_address(host, ec);
  int port = 0;
  try {
    port = std::stoi(text.substr(colon + 1));
  } catch (...) {
    return std::nullopt;
  }
  if (ec || port < 0 || port > 65535) return std::nullopt;
  return tcp::endpoint(address, static_cast<unsigned short>(port));
}

// A CLI11 validator from one of libsandbox's quantity parsers: its message on a bad value.
template <class Parse>
CLI::Validator quantity_check(Parse parse) {
  return CLI::Validator(
      [parse](std::string& value) -> std::string {
        if (value.empty()) return "";
        auto parsed = parse(value);
        return parsed ? "" : parsed.error().message;
      },
      "QUANTITY");
}

}  // namespace

int main(int argc, char** argv) {
  // The layer unpacker: this binary again, in a chroot (server/images/layer_unpack.hpp).
  if (argc > 1 && std::string(argv[1]) == "unpack-layer") {
    return hive::server::images::unpack_layer_main(argc, argv);
  }
  Options options;
  CLI::App app{"hive-server: the Hive control plane and gateway"};
  app.add_option("--listen", options.listen, "address:port to serve the API on")
      ->capture_default_str();
  app.add_option("--state-dir", options.state_dir, "where records, token and sandboxes live")
      ->capture_default_str();
  app.add_option("--runtime", options.runtime, "where sandboxes run")
      ->check(CLI::IsMember({"local", "kubernetes"}))
      ->capture_default_str();
  app.add_option("--agent", options.agent_path, "the hive-agent binary (default: beside this one)");
  app.add_option("--workers", options.workers, "threads for blocking calls (spawn, exec)")
      ->check(CLI::Range(1, 4096))
      ->capture_default_str();
  app.add_option("--pull-workers", options.pull_workers,
                 "threads on which spawns that must pull their image wait (apart from --workers, "
                 "so a slow pull holds up no other call)")
      ->check(CLI::Range(1, 4096))
      ->capture_default_str();
  app.add_option("--default-ttl", options.default_ttl, "seconds a sandbox lives unless asked")
      ->check(CLI::Range(1, 366 * 24 * 3600))
      ->capture_default_str();
  app.add_option("--default-idle-timeout", options.default_idle, "seconds without traffic")
      ->check(CLI::Range(1, 366 * 24 * 3600))
      ->capture_default_str();
  app.add_option("--default-memory", options.default_memory,
                 "a sandbox's memory limit unless its spec gives one ('' for none); its /tmp "
                 "and /dev/shm are sized within it")
      ->check(quantity_check(hive::sandbox::parse_byte_quantity))
      ->capture_default_str();
  app.add_option("--default-pids", options.default_pids,
                 "processes one sandbox may have unless its spec says (0 for no limit)")
      ->check(CLI::Range(0, 4'194'304))
      ->capture_default_str();
  app.add_option("--default-cpu", options.default_cpu,
                 "a sandbox's CPU limit unless its spec gives one, e.g. 2 or 500m (default none)")
      ->check(quantity_check(hive::sandbox::parse_cpu_millis));
  app.add_option("--default-disk", options.default_disk,
                 "a sandbox's disk limit unless its spec gives one, e.g. 10Gi (default none; on "
                 "the local runtime a limited sandbox's root and /workspace are a tmpfs of that "
                 "size, charged to its memory)")
      ->check(quantity_check(hive::sandbox::parse_byte_quantity));
  app.add_option("--default-nofile", options.default_nofile,
                 "open files each command in a sandbox may have (RLIMIT_NOFILE, local runtime)")
      ->check(CLI::Range(64, 1'048'576))
      ->capture_default_str();
  app.add_option("--tombstone-seconds", options.tombstone_seconds,
                 "how long a reaped sandbox stays listed as Terminated with its reason")
      ->check(CLI::Range(0, 366 * 24 * 3600))
      ->capture_default_str();
  app.add_option("--client-config", options.client_config,
                 "the hivectl config to add a 'local' context to on first start (default: "
                 "HIVECONFIG's first file or ~/.hive/config; 'none': leave it alone)");
  app.add_option("--warm-pool", options.warm_pool,
                 "ready sandboxes to keep per spec (image, network, resources) once asked for")
      ->check(CLI::Range(0, 10000))
      ->capture_default_str();
  app.add_option("--token-file", options.token_file,
                 "the admin token, e.g. a mounted Kubernetes Secret (default: $HIVE_ADMIN_TOKEN, "
                 "else STATE_DIR/token, made on first start)");
  app.add_option("--insecure-registry", options.insecure_registries,
                 "HOST[:PORT] of a registry spoken to over plain HTTP (loopback ones always "
                 "are); repeatable")
      ->group("Registries (local pulls; a kubernetes spawn --start reads the image's command)");
  app.add_option("--registry-config", options.registry_config,
                 "a Docker config.json with registry credentials (\"auths\"); default "
                 "~/.docker/config.json")
      ->group("Registries (local pulls; a kubernetes spawn --start reads the image's command)");
  app.add_option("--image-cache-size", options.image_cache_size,
                 "unpacked image layers kept at most (20Gi); past it the images no sandbox "
                 "runs on go, least recently used first (default: no bound)")
      ->group("Images (local runtime)");
  app.add_option("--registry-mirror", options.registry_mirror,
                 "base URL pulls of docker.io images go to instead (https://mirror.example)")
      ->group("Registries (local pulls; a kubernetes spawn --start reads the image's command)");
  app.add_option("--image-alias", options.image_aliases,
                 "NAME=IMAGE: run IMAGE when a client asks for NAME (e.g. a seed client's "
                 "sandbox:general-0.1=host on the local runtime); repeatable")
      ->check([](const std::string& value) {
        auto eq = value.find('=');
        return eq == std::string::npos || eq == 0 || eq + 1 == value.size()
                   ? std::string("expected NAME=IMAGE")
                   : std::string();
      });
  app.add_option("--log-format", options.log_format,
                 "text, or json: one object per line (a request's: request_id, method, path, "
                 "status, duration_ms)")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  app.add_option("--max-streams-per-token", options.max_streams_per_token,
                 "exec, attach, files, MCP and watch streams one token may hold open at once "
                 "(429 past it)")
      ->check(CLI::Range(1, 1 << 20))
      ->capture_default_str();
  app.add_option("--request-timeout", options.request_timeout,
                 "seconds a client has to send a request's header and body (408 past it)")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  app.add_option("--max-connections", options.max_connections,
                 "client connections open at once; past it a new one is answered 503 and "
                 "closed (default: from the descriptor limit, keeping a reserve for the "
                 "server's own calls to agents, store and health checks)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 24));
  app.add_option("--max-connections-per-address", options.max_connections_per_address,
                 "client connections one address may hold open (default: a quarter of "
                 "--max-connections)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 24));
  add_kube_options(app, options.kube);
  CLI11_PARSE(app, argc, argv);
  signal(SIGPIPE, SIG_IGN);
  // Logs go to stderr: stdout is left to whoever runs the server.
  spdlog::set_default_logger(spdlog::stderr_color_mt("hive-server"));
  hive::server::set_log_format(options.log_format == "json" ? hive::server::LogFormat::Json
                                                            : hive::server::LogFormat::Text);
  auto caps = connection_caps(options);
  if (options.agent_path.empty()) options.agent_path = default_agent_path();

  auto endpoint = parse_listen(options.listen);
  if (!endpoint) return fail("--listen '" + options.listen + "' is not ADDRESS:PORT");
  std::error_code ec;
  std::filesystem::create_directories(options.state_dir, ec);
  if (ec) return fail("cannot create --state-dir '" + options.state_dir + "': " + ec.message());
  chmod(options.state_dir.c_str(), 0700);
  options.state_dir = std::filesystem::canonical(options.state_dir).string();

  auto token = hive::server::admin_token(options.token_file, options.state_dir);
  if (!token) return fail(token.error().message);
  auto backend = make_backend(options);
  if (!backend) return fail(backend.error().message);

  hive::server::ServiceOptions service_options{options.default_ttl, options.default_idle,
                                               options.tombstone_seconds, options.warm_pool};
  service_options.default_resources = {options.default_cpu, options.default_memory,
                                       options.default_pids, options.default_disk};
  if (backend->kube) {
    service_options.may_reap = [leader = backend->kube->leader.get()] {
      return leader->is_leader();
    };
  }
  hive::server::SandboxService service(backend->the_store(), backend->the_runtime(),
                                       service_options);
  if (backend->kube) {  // Pods need no adopting: the cache is the truth; pools are shared
    service.share_pools([runtime = backend->kube->runtime.get()](const std::string& pool) {
      return runtime->pooled(pool);
    });
  } else {
    back_up(*backend, options);
    service.adopt_all();
  }
  using std::chrono::milliseconds;
  hive::server::Ticker reaper(milliseconds(250),
                              [&service] { service.reap_due(std::chrono::system_clock::now()); });
  std::optional<hive::server::Ticker> refiller;
  if (options.warm_pool > 0) {
    hive::sandbox::SandboxSpec default_spec;  // the plain sandbox is wanted from the start
    service.want_pool(default_spec);
    refiller.emplace(milliseconds(20), [&service] { service.refill_pools(); });
  }

  hive::http::IoPool io(2);
  tcp::acceptor acceptor(io.first());
  boost::system::error_code bind_error;
  acceptor.open(endpoint->protocol(), bind_error);
  if (!bind_error) acceptor.set_option(asio::socket_base::reuse_address(true), bind_error);
  if (!bind_error) acceptor.bind(*endpoint, bind_error);
  if (!bind_error) acceptor.listen(asio::socket_base::max_listen_connections, bind_error);
  if (bind_error) return fail("listen on " + options.listen + ": " + bind_error.message());
  auto bound = acceptor.local_endpoint();
  std::string address = bound.address().to_string() + ":" + std::to_string(bound.port());
  add_local_context(options, address);
  // SIGTERM is handled before the address is published: whoever reads the address may stop the
  // server at once, and the default action would kill it without backing up the store.
  asio::signal_set signals(io.first(), SIGTERM, SIGINT);
  signals.async_wait([&io](const boost::system::error_code&, int signal) {
    spdlog::info("signal {}: stopping; sandboxes keep running", signal);
    io.stop();
  });
  // Tests and scripts that asked for port 0 read the real address from here.
  // Written aside and renamed: a reader that sees the file sees the whole line.
  const std::string address_file = options.state_dir + "/address";
  std::ofstream(address_file + ".tmp") << address << "\n";
  std::rename((address_file + ".tmp").c_str(), address_file.c_str());

  asio::thread_pool workers(static_cast<std::size_t>(options.workers));
  asio::thread_pool pull_workers(static_cast<std::size_t>(options.pull_workers));
  hive::server::ApiOptions api_options{*token, {}, "hive", options.max_streams_per_token};
  for (const auto& alias : options.image_aliases) {
    auto eq = alias.find('=');
    api_options.image_aliases[alias.substr(0, eq)] = alias.substr(eq + 1);
  }
  if (backend->kube) api_options.namespace_name = backend->kube->runtime->options().namespace_name;
  api_options.images = backend->images.get();
  api_options.pull_workers = &pull_workers;
  auto api = std::make_shared<hive::server::Api>(service, std::move(api_options), workers);
  hive::http::Limits limits;
  limits.request_timeout = std::chrono::seconds(options.request_timeout);
  hive::http::Admission admission{std::make_shared<hive::http::ConnectionLimit>(caps),
                                  [](const std::string& line) { spdlog::warn("{}", line); }};
  std::make_shared<hive::http::Listener<tcp>>(
      std::move(acceptor), [&io] { return io.next(); }, api, limits, std::move(admission))
      ->start();

  spdlog::info("hive-server {} listening on http://{} (runtime {}, state {})", HIVE_VERSION,
               address, options.runtime, options.state_dir);

  io.run();
  workers.stop();
  pull_workers.stop();
  if (backend->images) backend->images->stop_pulls();
  workers.join();
  pull_workers.join();
  refiller.reset();
  service.drain_pools();
  back_up(*backend, options);
  return 0;
}
