#include "processes.hpp"

#include <signal.h>

#include <algorithm>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/experimental/channel.hpp>
#include <chrono>
#include <deque>

#include "hive/sandbox/codec.hpp"

namespace hive::agent {
namespace {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using sandbox::Json;
using Lines = asio::experimental::channel<void(boost::system::error_code, std::string)>;

constexpr std::size_t kLogBytes = 4 << 20;      // output kept per process for /logs
constexpr std::size_t kFollowerBacklog = 1024;  // events a follower may fall behind
constexpr std::size_t kExitedKept = 256;        // exited processes still listed

Result<int> parse_signal(const std::string& text) {
  static const std::map<std::string, int> kNames{
      {"HUP", SIGHUP},   {"INT", SIGINT},   {"QUIT", SIGQUIT},  {"KILL", SIGKILL},
      {"USR1", SIGUSR1}, {"USR2", SIGUSR2}, {"TERM", SIGTERM},  {"STOP", SIGSTOP},
      {"CONT", SIGCONT}, {"ALRM", SIGALRM}, {"WINCH", SIGWINCH}};
  std::string name = text.rfind("SIG", 0) == 0 ? text.substr(3) : text;
  if (auto it = kNames.find(name); it != kNames.end()) return it->second;
  if (!name.empty() && name.size() < 3 &&
      name.find_first_not_of("0123456789") == std::string::npos) {
    int number = std::stoi(name);
    if (number > 0 && number < NSIG) return number;
  }
  return make_error(Errc::invalid_argument,
                    "unknown signal '" + text + "' (TERM, KILL, INT, HUP, 9, ...)");
}

}  // namespace

struct Processes::Process {
  std::shared_ptr<ExecJob> job;
  std::string command;  // for people: argv joined, or the shell command
  std::chrono::system_clock::time_point started;
  std::deque<std::string> log;  // NDJSON lines
  std::size_t log_bytes = 0;
  std::int64_t log_dropped = 0;  // bytes of the oldest lines dropped to keep the newest
  std::optional<sandbox::ExecResult> result;
  std::vector<std::shared_ptr<Lines>> followers;
  std::vector<std::shared_ptr<Lines>> waiters;

  void record(const std::string& line) {
    log.push_back(line);
    log_bytes += line.size();
    while (log_bytes > kLogBytes && log.size() > 1) {
      log_bytes -= log.front().size();
      log_dropped += static_cast<std::int64_t>(log.front().size());
      log.pop_front();
    }
    std::erase_if(followers, [&line](const std::shared_ptr<Lines>& follower) {
      if (follower->try_send(boost::system::error_code{}, line)) return false;
      follower->close();  // too far behind
      return true;
    });
  }

  void finish(sandbox::ExecResult done) {
    result = std::move(done);
    for (auto& follower : followers) follower->try_send(boost::system::error_code{}, std::string());
    for (auto& waiter : waiters) waiter->try_send(boost::system::error_code{}, std::string());
    followers.clear();
    waiters.clear();
  }

  Json to_json() const {
    Json out{{"pid", job->pid()},
             {"command", command},
             {"state", result ? "exited" : "running"},
             {"started_at",
              std::chrono::duration_cast<std::chrono::seconds>(started.time_since_epoch()).count()},
             {"log_dropped_bytes", log_dropped}};
    if (result) {
      out["exit_code"] = result->exit_code;
      out["signal"] = result->signal;
      out["duration_ms"] = result->duration_ms;
    }
    return out;
  }
};

Processes::Processes(asio::io_context& io, Children& children) : io_(io), children_(children) {}

Result<Json> Processes::start(sandbox::ExecRequest request, const ExecDefaults& defaults) {
  auto process = std::make_shared<Process>();
  process->started = std::chrono::system_clock::now();
  if (request.argv.empty()) {
    process->command = request.command;
  } else {
    for (const auto& arg : request.argv)
      process->command += (process->command.empty() ? "" : " ") + arg;
  }
  std::weak_ptr<Process> weak = process;
  // A command that cannot start (no such program) ends inside start(): that is an error for
  // the caller, not a process to list.
  auto in_start = std::make_shared<bool>(true);
  auto not_started = std::make_shared<std::optional<sandbox::ExecResult>>();
  process->job = std::make_shared<ExecJob>(
      io_, children_, std::move(request), defaults,
      [weak, in_start, not_started, last_exit = last_exit_](sandbox::ExecResult result) {
        if (*in_start) {
          *not_started = std::move(result);
          return;
        }
        *last_exit = std::chrono::steady_clock::now();
        if (auto p = weak.lock()) p->finish(std::move(result));
      },
      [weak](std::string line, std::function<void()> then) {
        if (auto p = weak.lock()) p->record(line);
        then();  // recorded: never slowed by readers
      });
  process->job->start();
  *in_start = false;
  if (*not_started) {
    const auto& failed = **not_started;
    Error error = make_error(failed.exit_code == 127 ? Errc::not_found : Errc::invalid_argument,
                             failed.error);
    error.exit_code = failed.exit_code;
    return error;
  }
  forget_oldest_exited();
  processes_[process->job->pid()] = process;
  return Json{{"pid", process->job->pid()}, {"state", "running"}};
}

std::size_t Processes::running() const {
  return static_cast<std::size_t>(std::count_if(processes_.begin(), processes_.end(),
                                                [](const auto& p) { return !p.second->result; }));
}

void Processes::forget_oldest_exited() {
  std::size_t exited = 0;
  for (const auto& [pid, p] : processes_) exited += p->result ? 1 : 0;
  for (auto it = processes_.begin(); exited >= kExitedKept && it != processes_.end();) {
    if (it->second->result) {
      it = processes_.erase(it);
      --exited;
    } else {
      ++it;
    }
  }
}

asio::awaitable<bool> Processes::serve(http::Exchange& exchange, const sandbox::Target& target) {
  // "/processes", "/processes/{pid}", "/processes/{pid}/{action}"
  std::string rest = target.path.substr(std::string("/processes").size());
  const auto method = exchange.header().method();
  if (rest.empty() || rest == "/") {
    if (method != bhttp::verb::get) {
      co_return co_await http::answer_error(
          exchange,
          make_error(Errc::invalid_argument,
                     "/processes takes GET (start one with POST /exec and \"background\": true)"));
    }
    Json items = Json::array();
    for (const auto& [pid, p] : processes_) items.push_back(p->to_json());
    Json listing{{"items", items}};
    co_return co_await http::answer(
        exchange,
        http::make_response(exchange.header(), bhttp::status::ok, sandbox::dump(listing)));
  }
  auto slash = rest.find('/', 1);
  std::string pid_text = rest.substr(1, slash == std::string::npos ? std::string::npos : slash - 1);
  std::string action = slash == std::string::npos ? "" : rest.substr(slash + 1);
  std::shared_ptr<Process> process;
  if (!pid_text.empty() && pid_text.size() < 10 &&
      pid_text.find_first_not_of("0123456789") == std::string::npos) {
    if (auto it = processes_.find(std::stoi(pid_text)); it != processes_.end())
      process = it->second;
  }
  if (!process) {
    co_return co_await http::answer_error(
        exchange,
        make_error(Errc::not_found, "no background process " + pid_text + " in this sandbox"));
  }
  auto query = [&](const char* key) {
    auto it = target.query.find(key);
    return it == target.query.end() ? std::string() : it->second;
  };
  if (action.empty() && method == bhttp::verb::get) {
    Json one = process->to_json();
    co_return co_await http::answer(
        exchange, http::make_response(exchange.header(), bhttp::status::ok, sandbox::dump(one)));
  }
  if (action == "logs" && method == bhttp::verb::get) {
    co_return co_await logs(exchange, process, query("follow") == "true");
  }
  if (action == "wait" && method == bhttp::verb::post) co_return co_await wait(exchange, process);
  if (action == "stdin" && method == bhttp::verb::post) {
    co_return co_await stdin(exchange, process, query("eof") == "true");
  }
  if (action == "signal" && method == bhttp::verb::post) {
    auto sig = parse_signal(query("signal").empty() ? "TERM" : query("signal"));
    if (!sig) co_return co_await http::answer_error(exchange, sig.error());
    if (!process->job->signal(*sig)) {
      co_return co_await http::answer_error(
          exchange, make_error(Errc::conflict, "process " + pid_text + " has exited"));
    }
    Json sent{{"pid", process->job->pid()}, {"signal", *sig}};
    co_return co_await http::answer(
        exchange, http::make_response(exchange.header(), bhttp::status::ok, sandbox::dump(sent)));
  }
  co_return co_await http::answer_error(
      exchange, make_error(Errc::not_found, "no route for " + target.path + " with " +
                                                std::string(exchange.header().method_string())));
}

asio::awaitable<bool> Processes::logs(http::Exchange& exchange, std::shared_ptr<Process> process,
                                      bool follow) {
  http::ChunkedWriter writer(exchange.stream);
  if (co_await writer.start(exchange.header(), bhttp::status::ok, "application/x-ndjson"))
    co_return false;
  // The backlog is copied first: recording may go on while it is written. A log that lost its
  // oldest lines (and its start event with them) begins with a start event saying how much.
  std::vector<std::string> backlog;
  if (process->log_dropped > 0) {
    sandbox::ExecEvent head{.kind = sandbox::ExecEvent::Kind::Start,
                            .pid = process->job->pid(),
                            .dropped_bytes = process->log_dropped};
    backlog.push_back(sandbox::dump(sandbox::to_json(head)) + "\n");
  }
  backlog.insert(backlog.end(), process->log.begin(), process->log.end());
  std::shared_ptr<Lines> live;
  if (follow && !process->result) {
    live = std::make_shared<Lines>(io_, kFollowerBacklog);
    process->followers.push_back(live);
  }
  for (const auto& line : backlog) {
    if (co_await writer.write(line)) co_return false;
  }
  if (live) {
    auto pump = [&]() -> asio::awaitable<boost::system::error_code> {
      for (;;) {
        auto [ec, line] = co_await live->async_receive(http::use_tuple);
        if (ec || line.empty()) co_return ec;  // closed: it fell too far behind
        if (auto wec = co_await writer.write(line)) co_return wec;
      }
    };
    using namespace asio::experimental::awaitable_operators;
    auto outcome = co_await (pump() || http::until_hangup(exchange.stream, [] {}));
    std::erase(process->followers, live);
    if (outcome.index() != 0 || std::get<0>(outcome)) co_return false;
  }
  co_return !co_await writer.finish() && http::keeps_alive(exchange.header());
}

asio::awaitable<bool> Processes::wait(http::Exchange& exchange, std::shared_ptr<Process> process) {
  if (!process->result) {
    auto done = std::make_shared<Lines>(io_, 1);
    process->waiters.push_back(done);
    using namespace asio::experimental::awaitable_operators;
    auto outcome = co_await (done->async_receive(http::use_tuple) ||
                             http::until_hangup(exchange.stream, [] {}));
    std::erase(process->waiters, done);
    if (outcome.index() != 0) co_return false;
  }
  Json result = sandbox::to_json(*process->result);
  result.erase("stdout");  // the output is in /logs
  result.erase("stderr");
  result["pid"] = process->job->pid();
  co_return co_await http::answer(
      exchange, http::make_response(exchange.header(), bhttp::status::ok, sandbox::dump(result)));
}

asio::awaitable<bool> Processes::stdin(http::Exchange& exchange, std::shared_ptr<Process> process,
                                       bool eof) {
  auto request = co_await http::read_whole(exchange, exchange.limits.body_bytes);
  if (!request) co_return false;
  const std::size_t size = request->body().size();
  Json answer{{"pid", process->job->pid()}, {"written", size}, {"eof", eof}};
  auto response =
      process->job->send_stdin(std::move(request->body()), eof)
          ? http::make_response(*request, bhttp::status::ok, sandbox::dump(answer))
          : http::make_response(
                *request, bhttp::status::conflict,
                sandbox::dump(sandbox::to_json(make_error(Errc::conflict, "its stdin is closed"))));
  co_return co_await http::send(exchange.stream, std::move(response));
}

}  // namespace hive::agent
