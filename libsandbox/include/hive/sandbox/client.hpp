// libsandbox: the C++ client for hive-server. Every call returns a Result; nothing throws.
// A Client keeps one connection alive between calls and is not thread-safe: give each
// thread its own (they are cheap).
//
//   hive::sandbox::Client client({.server = "http://127.0.0.1:7070", .token = token});
//   auto sb = client.spawn({});
//   auto out = client.exec(sb->id, {.argv = {"uname", "-a"}});
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hive/error.hpp"
#include "hive/sandbox/types.hpp"

namespace hive::sandbox {

struct ClientOptions {
  std::string server = "http://127.0.0.1:7070";
  std::string token;
  // For the TCP connection, of every call and stream.
  std::chrono::milliseconds connect_timeout{5000};
  // How long a call that answers at once (list, get, keepalive, version, a file's stat, an
  // attach's handshake...) may take in all, connect included; 0: no limit. Streams (watch,
  // exec_stream, process_logs, attach once open, copy_to/from, read/write_file) are not bound
  // by it: they take as long as their data does.
  std::chrono::milliseconds request_timeout{0};
  // The same for calls the server holds until something is done: spawn (until Running),
  // deprovision, exec and wait_process (until the command ends). 0: no limit.
  std::chrono::milliseconds waiting_request_timeout{0};
};

struct ListOptions {
  std::optional<State> state;
  std::string selector;  // label selector, e.g. "run=42,tier!=web"
};

// One change seen by watch(): "ADDED", "MODIFIED" or "DELETED", and the sandbox as it is
// (as it was, for DELETED).
struct WatchEvent {
  std::string type;
  Sandbox sandbox;
};

struct BulkResult {
  std::vector<Sandbox> deprovisioned;
  std::vector<std::pair<std::string, Error>> failed;  // id, why
};

struct ServerVersion {
  std::string version, api, runtime;
};

// One entry of a sandbox's filesystem.
struct FileInfo {
  std::string name, path;
  std::string type;  // file, directory, symlink, other
  std::int64_t size = 0;
  std::string mode;  // octal, "0644"
  std::int64_t mtime = 0;
  std::string target;  // a symlink's
};

// A background process in a sandbox.
struct ProcessInfo {
  int pid = 0;
  std::string command;
  std::string state;  // running, exited
  int exit_code = 0, signal = 0;
  std::int64_t duration_ms = 0, started_at = 0;  // started_at: Unix seconds
};

// An interactive process over a WebSocket (docs/api.md).
struct AttachOptions {
  std::vector<std::string> command;  // empty: the sandbox's shell
  bool tty = true;                   // a PTY; false gives plain pipes
  int cols = 80, rows = 24;          // the PTY's first size (window_fd's when given)
  std::string cwd;
  std::map<std::string, std::string> env;
  int input_fd = 0;    // read on a thread of its own and sent as stdin, EOF included; -1: none
  int window_fd = -1;  // a terminal whose size is sent at the start and on every SIGWINCH
  std::function<void(std::string_view)> on_stdout, on_stderr;
};

struct CopyStats {
  std::uint64_t entries = 0, bytes = 0;
};

class Transport;

class Client {
 public:
  explicit Client(ClientOptions options);
  ~Client();
  Client(Client&&) noexcept;
  Client& operator=(Client&&) noexcept;

  // Returns once the sandbox is Running.
  Result<Sandbox> spawn(const SandboxSpec& spec);
  // Returns at once: the sandbox Starting (Running when a warm pool had one); it becomes
  // Running, or Failed with the reason. get() or watch() tell which.
  Result<Sandbox> spawn_no_wait(const SandboxSpec& spec);
  // The server's dry run: the spec as a spawn would take it (defaults applied, checked against
  // the runtime and the names in use); nothing is created, the answer has no id.
  Result<Sandbox> spawn_dry_run(const SandboxSpec& spec);
  Result<std::vector<Sandbox>> list(const ListOptions& options = {});
  Result<Sandbox> get(const std::string& id_or_name);
  // The sandboxes a list would give, each as ADDED, then every change until on_event returns
  // false (or the connection ends).
  Result<void> watch(const ListOptions& options,
                     const std::function<bool(const WatchEvent&)>& on_event);
  // Returns the sandbox as it ended (state Terminated).
  Result<Sandbox> deprovision(const std::string& id_or_name);
  // Deprovisions every sandbox matching the selector; an empty selector means all of them.
  Result<BulkResult> deprovision_matching(const std::string& selector);
  // Runs a command and waits for it. A command that fails still gives a Result with its
  // exit code; an Error means Hive could not run it.
  Result<ExecResult> exec(const std::string& id_or_name, const ExecRequest& request);
  // Runs a command and hands each event (start, stdout, stderr) to on_event as it happens;
  // returns the exit event's result, whose output fields are empty (the output went to
  // on_event). on_event returning false hangs up, which kills the command.
  using OnExecEvent = std::function<bool(const ExecEvent& event)>;
  Result<ExecResult> exec_stream(const std::string& id_or_name, const ExecRequest& request,
                                 const OnExecEvent& on_event);
  // Background processes: start returns at once with the pid; the process ends with the
  // sandbox at the latest. Logs hand every event to on_event, the exit event included, and
  // with follow keep going until the process exits.
  Result<ProcessInfo> start_process(const std::string& id, ExecRequest request);
  Result<std::vector<ProcessInfo>> list_processes(const std::string& id);
  Result<void> process_logs(const std::string& id, int pid, bool follow,
                            const OnExecEvent& on_event);
  Result<void> write_stdin(const std::string& id, int pid, std::string_view data, bool eof);
  // signal: a name (TERM, KILL, INT, ...) or a number.
  Result<void> signal_process(const std::string& id, int pid, const std::string& signal);
  Result<ExecResult> wait_process(const std::string& id, int pid);
  // Runs an interactive process until it exits; its exit_code and signal come back (its
  // output went to on_stdout / on_stderr as it came). Uses Boost.Beast's WebSocket client,
  // since libcurl 7.88 has none; the server must be an http:// address.
  Result<ExecResult> attach(const std::string& id, const AttachOptions& options);
  // Files inside the sandbox; relative paths start at its workdir. Bodies stream: a large
  // file never sits whole in memory on the way.
  Result<std::string> read_file(const std::string& id, const std::string& path);
  Result<void> write_file(const std::string& id, const std::string& path, std::string_view data,
                          const std::string& mode = "0644");
  Result<FileInfo> stat_file(const std::string& id, const std::string& path);
  Result<std::vector<FileInfo>> list_files(const std::string& id, const std::string& path);
  Result<void> remove_file(const std::string& id, const std::string& path, bool recursive = false);
  // mkdir -p.
  Result<void> make_directory(const std::string& id, const std::string& path);
  // `hivectl cp`, as docker cp does it: into an existing directory the source keeps its name,
  // otherwise it takes the destination's. Modes and symlinks survive; tar on the wire.
  // on_progress, when given, hears the archive's bytes sent or received so far, as they go.
  using OnCopied = std::function<void(std::uint64_t bytes)>;
  Result<CopyStats> copy_to(const std::string& id, const std::string& local_path,
                            const std::string& remote_path, const OnCopied& on_progress = {});
  Result<CopyStats> copy_from(const std::string& id, const std::string& remote_path,
                              const std::string& local_path, const OnCopied& on_progress = {});
  // Restarts the idle clock and pushes expires_at to now + the sandbox's ttl_seconds.
  Result<Sandbox> keepalive(const std::string& id_or_name);
  Result<ServerVersion> version();

  // The local runtime's images, as the server describes them (docs/api.md: name, digest, id,
  // layers, size, config, in_use_by). A pull calls on_event with each progress event
  // ({"id","status","progress":{"current","total"}}) and returns the image.
  using OnPullEvent = std::function<void(const nlohmann::json& event)>;
  Result<nlohmann::json> pull_image(const std::string& reference, const OnPullEvent& on_event = {});
  Result<std::vector<nlohmann::json>> list_images();
  Result<nlohmann::json> get_image(const std::string& reference);
  Result<nlohmann::json> remove_image(const std::string& reference);  // and its unshared layers
  Result<std::int64_t> prune_images();                                // bytes freed
  // Sends a `docker save` tar or an OCI archive (a file, or "-" for stdin) for the server to
  // load; returns the images loaded. `tag` names the image of an archive holding one.
  Result<std::vector<nlohmann::json>> load_image(const std::string& archive_path,
                                                 const std::string& tag = "",
                                                 const OnCopied& on_sent = {});

 private:
  std::unique_ptr<Transport> transport_;
};

}  // namespace hive::sandbox
