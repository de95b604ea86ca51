// hivectl against a real hive-server with real sandboxes: the path a user walks.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <future>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "process.hpp"
#include "tmux.hpp"

using hive::test::TestServer;
using hive::test::trim;

TEST_CASE("spawn, list, get, exec and deprovision through hivectl", "[integration]") {
  TestServer server;
  auto spawn = server.hivectl({"spawn", "--image", "host", "--name", "first", "-l", "run=42"});
  REQUIRE(spawn.exit_code == 0);
  const std::string id = trim(spawn.out);
  CHECK(id.rfind("sb-", 0) == 0);

  auto list = server.hivectl({"list"});
  CHECK(list.exit_code == 0);
  CHECK_THAT(list.out, Catch::StartsWith("ID"));
  CHECK_THAT(list.out, Catch::Contains(id));
  CHECK_THAT(list.out, Catch::Contains("Running"));

  auto json = server.hivectl({"list", "-o", "json"});
  auto items = nlohmann::json::parse(json.out)["items"];
  REQUIRE(items.size() == 1);
  CHECK(items[0]["id"] == id);
  CHECK(items[0]["state"] == "Running");
  CHECK(items[0]["labels"]["run"] == "42");
  CHECK(items[0]["runtime"] == "local");

  auto by_name = server.hivectl({"get", "first", "-o", "json"});
  CHECK(nlohmann::json::parse(by_name.out)["id"] == id);

  auto exec = server.hivectl({"exec", id, "--", "sh", "-c", "echo out; echo err >&2; exit 3"});
  CHECK(exec.exit_code == 3);
  CHECK(exec.out == "out\n");
  CHECK(exec.err == "err\n");

  auto piped = server.hivectl({"exec", "-i", id, "--", "cat"}, "hi\n");
  CHECK(piped.exit_code == 0);
  CHECK(piped.out == "hi\n");

  auto gone = server.hivectl({"deprovision", id});
  CHECK(gone.exit_code == 0);
  CHECK_THAT(gone.out, Catch::Contains(id + " deprovisioned"));
  CHECK(trim(server.hivectl({"list", "-o", "name"}).out).empty());
}

TEST_CASE("hivectl reports bad input clearly", "[integration]") {
  TestServer server;
  auto unknown = server.hivectl({"get", "sb-nothere"});
  CHECK(unknown.exit_code == 1);
  CHECK_THAT(unknown.err, Catch::Contains("sandbox 'sb-nothere' not found"));
  CHECK(server.hivectl({"deprovision", "sb-nothere"}).exit_code == 1);

  auto exec_unknown = server.hivectl({"exec", "sb-nothere", "--", "true"});
  CHECK(exec_unknown.exit_code == 125);

  auto no_dashes = server.hivectl({"exec", "sb-nothere", "ls", "-la"});
  CHECK(no_dashes.exit_code == 125);
  CHECK_THAT(no_dashes.err, Catch::Contains("'--'"));

  auto bad_name = server.hivectl({"spawn", "--name", "Not_A_Label"});
  CHECK(bad_name.exit_code == 1);
  CHECK_THAT(bad_name.err, Catch::Contains("DNS-1123"));

  auto bad_image = server.hivectl({"spawn", "--image", "Python:3.12"});
  CHECK(bad_image.exit_code == 1);
  CHECK_THAT(bad_image.err, Catch::Contains("image 'Python:3.12' is not a valid reference: "
                                            "'Python' must be lowercase"));
  CHECK(trim(server.hivectl({"list", "-o", "name"}).out).empty());  // nothing half-made

  auto wrong_token = hive::test::run({hive::test::bin("hivectl"), "list"}, "",
                                     {"HIVE_SERVER=" + server.url(), "HIVE_TOKEN=wrong"});
  CHECK(wrong_token.exit_code == 1);
  CHECK_THAT(wrong_token.err, Catch::Contains("invalid token"));
}

TEST_CASE("exec reports commands that cannot start and signals", "[integration]") {
  TestServer server;
  auto id = trim(server.hivectl({"spawn"}).out);
  auto missing = server.hivectl({"exec", id, "--", "no-such-command"});
  CHECK(missing.exit_code == 127);
  CHECK_THAT(missing.err, Catch::Contains("exec 'no-such-command': No such file or directory"));
  auto killed = server.hivectl({"exec", id, "--", "sh", "-c", "kill -9 $$"});
  CHECK(killed.exit_code == 137);
  auto timed = server.hivectl({"exec", "--timeout", "0.5", id, "--", "sleep", "30"});
  CHECK(timed.exit_code == 137);
  CHECK_THAT(timed.err, Catch::Contains("timed out"));
}

TEST_CASE("every form of exec exits 127 or 126 for a command that cannot start, naming why",
          "[integration][exec]") {
  TestServer server;
  auto id = trim(server.hivectl({"spawn"}).out);
  REQUIRE(server.hivectl({"exec", id, "--", "sh", "-c", "echo 'echo hi' > plain.sh"}).exit_code ==
          0);
  struct Case {
    std::vector<std::string> flags;  // between exec and the id
    std::vector<std::string> command;
    int exit_code;
    std::string message;
  };
  const std::vector<Case> cases{
      {{}, {"no-such-command"}, 127, "exec 'no-such-command': No such file or directory"},
      {{"-i"}, {"no-such-command"}, 127, "exec 'no-such-command': No such file or directory"},
      {{"-d"}, {"no-such-command"}, 127, "exec 'no-such-command': No such file or directory"},
      {{"-w", "/nope"}, {"true"}, 126, "chdir '/nope': No such file or directory"},
      {{"-i", "-w", "/nope"}, {"true"}, 126, "chdir '/nope': No such file or directory"},
      {{}, {"/workspace/plain.sh"}, 126, "exec '/workspace/plain.sh': Permission denied"},
      {{"-i"}, {"/workspace/plain.sh"}, 126, "exec '/workspace/plain.sh': Permission denied"},
      {{"-e", "PATH=/workspace"}, {"plain.sh"}, 126, "exec 'plain.sh': Permission denied"}};
  for (const auto& c : cases) {
    std::vector<std::string> args{"exec"};
    args.insert(args.end(), c.flags.begin(), c.flags.end());
    args.push_back(id);
    args.push_back("--");
    args.insert(args.end(), c.command.begin(), c.command.end());
    auto outcome = server.hivectl(args);
    INFO(nlohmann::json(args).dump() << " said: " << outcome.err);
    CHECK(outcome.exit_code == c.exit_code);
    CHECK_THAT(outcome.err, Catch::Contains(c.message));
    CHECK_THAT(outcome.err, !Catch::Contains("exec 'true'"));
  }
  // A sandbox that is not there is still Hive's failure, not the command's.
  CHECK(server.hivectl({"exec", "-i", "sb-nothere", "--", "true"}).exit_code == 125);
}

TEST_CASE("labels select what to list and what to deprovision", "[integration]") {
  TestServer server;
  auto a = trim(server.hivectl({"spawn", "-l", "run=1", "-l", "tier=web"}).out);
  auto b = trim(server.hivectl({"spawn", "-l", "run=1", "-l", "tier=db"}).out);
  auto c = trim(server.hivectl({"spawn", "-l", "run=2"}).out);
  REQUIRE((!a.empty() && !b.empty() && !c.empty()));

  CHECK(trim(server.hivectl({"list", "-l", "run=1", "-o", "name"}).out) == a + "\n" + b);
  CHECK(trim(server.hivectl({"list", "-l", "run=1,tier!=web", "-o", "name"}).out) == b);
  CHECK(trim(server.hivectl({"list", "-l", "tier in (web,db)", "-o", "name"}).out) == a + "\n" + b);
  CHECK(trim(server.hivectl({"list", "-l", "!tier", "-o", "name"}).out) == c);

  auto bad = server.hivectl({"list", "-l", "tier in (web"});
  CHECK(bad.exit_code == 1);
  CHECK_THAT(bad.err, Catch::Contains("unbalanced '('"));

  auto nothing = server.hivectl({"deprovision"});
  CHECK(nothing.exit_code == 2);
  CHECK_THAT(nothing.err, Catch::Contains("--all"));

  auto gone = server.hivectl({"deprovision", "-l", "run=1", "-o", "name"});
  CHECK(gone.exit_code == 0);
  CHECK(trim(gone.out) == a + "\n" + b);
  CHECK(trim(server.hivectl({"list", "-o", "name"}).out) == c);

  auto all = server.hivectl({"deprovision", "--all"});
  CHECK(all.exit_code == 0);
  CHECK_THAT(all.out, Catch::Contains(c + " deprovisioned"));
  CHECK(trim(server.hivectl({"list", "-o", "name"}).out).empty());
}

TEST_CASE("wait blocks until a state or deletion, and times out with a message", "[integration]") {
  TestServer server;
  // 3 s: long enough that the sandbox is still Running when the 0.3 s wait below gives up,
  // even under ASan on a busy machine (with 1 s it was once reaped first).
  auto id = trim(server.hivectl({"spawn", "--ttl", "3"}).out);
  REQUIRE(!id.empty());
  auto running = server.hivectl({"wait", id, "--for=state=Running"});
  CHECK(running.exit_code == 0);
  CHECK(running.out == id + " condition met\n");
  auto never = server.hivectl({"wait", id, "--for=state=Failed", "--timeout", "0.3s"});
  CHECK(never.exit_code == 1);
  CHECK_THAT(never.err, Catch::Contains("timed out after 0.3s"));
  auto gone = server.hivectl({"wait", id, "--for=delete", "--timeout", "15s"});
  CHECK(gone.exit_code == 0);  // the TTL reaps it
  auto described = server.hivectl({"describe", id});
  CHECK(described.exit_code == 0);
  CHECK_THAT(described.out, Catch::Contains("Terminated (ttl)"));
  auto too_late = server.hivectl({"wait", id, "--for=state=Running", "--timeout", "2s"});
  CHECK(too_late.exit_code == 1);
  CHECK_THAT(too_late.err, Catch::Contains("will never be Running"));
}

namespace {

// hive_http_requests_total{code="2xx"} from /metrics: the requests answered well so far (a
// stream counts when it ends).
long answered(const TestServer& server) {
  auto text =
      hive::test::run({"/usr/bin/curl", "-s", "-H", "Authorization: Bearer " + server.token(),
                       server.url() + "/metrics"})
          .out;
  const std::string key = "hive_http_requests_total{code=\"2xx\"} ";
  auto at = text.find(key);
  return at == std::string::npos ? -1 : std::stol(text.substr(at + key.size()));
}

}  // namespace

TEST_CASE("wait follows the watch: it returns as the sandbox goes, and does not poll",
          "[integration][hivectl]") {
  using namespace std::chrono_literals;
  TestServer server;
  auto id = trim(server.hivectl({"spawn"}).out);
  REQUIRE(!id.empty());
  const long before = answered(server);
  REQUIRE(before > 0);
  const auto started = std::chrono::steady_clock::now();
  auto waiting = std::async(std::launch::async, [&] {
    return server.hivectl({"wait", id, "--for=delete", "--timeout", "60s"});
  });
  std::this_thread::sleep_for(2s);
  // A get every 100 ms would be some 20 requests by now; the watch needs one get (and its
  // stream, counted only when it ends). The /metrics call that read `before` counts once.
  const long during = answered(server);
  CHECK(waiting.wait_for(0s) == std::future_status::timeout);
  REQUIRE(server.client().deprovision(id));
  REQUIRE(waiting.wait_for(20s) == std::future_status::ready);
  auto gone = waiting.get();
  CHECK(gone.exit_code == 0);
  CHECK(gone.out == id + " condition met\n");
  CHECK(std::chrono::steady_clock::now() - started < 30s);  // far inside its 60 s
  CHECK(during - before <= 3);
}

TEST_CASE(
    "wait gives up at its deadline while the watch is silent, and needs no event for a "
    "sandbox already gone",
    "[integration][hivectl]") {
  using namespace std::chrono_literals;
  TestServer server;
  auto id = trim(server.hivectl({"spawn"}).out);
  REQUIRE(!id.empty());
  auto started = std::chrono::steady_clock::now();
  auto never = server.hivectl({"wait", id, "--for=state=Failed", "--timeout", "1.5s"});
  auto took = std::chrono::steady_clock::now() - started;
  CHECK(never.exit_code == 1);
  CHECK(never.err == "hivectl: timed out after 1.5s waiting for " + id + " (state=Failed)\n");
  CHECK(took >= 1500ms);
  CHECK(took < 15s);

  // Gone already (reaped: its tombstone says Terminated): met with no event. An id the server
  // does not know (never did, or deprovisioned: removed at once) is not "deleted" but "not
  // found", as wait --help says.
  auto reaped = trim(server.hivectl({"spawn", "--ttl", "1"}).out);
  REQUIRE(server.hivectl({"wait", reaped, "--for=delete", "--timeout", "20s"}).exit_code == 0);
  started = std::chrono::steady_clock::now();
  auto gone = server.hivectl({"wait", reaped, "--for=delete", "--timeout", "60s"});
  CHECK(gone.exit_code == 0);
  CHECK(gone.out == reaped + " condition met\n");
  CHECK(std::chrono::steady_clock::now() - started < 30s);
  REQUIRE(server.client().deprovision(id));
  auto removed = server.hivectl({"wait", id, "--for=delete"});
  CHECK(removed.exit_code == 1);
  CHECK_THAT(removed.err, Catch::StartsWith("hivectl: sandbox \"" + id + "\" not found"));
  auto unknown = server.hivectl({"wait", "sb-nothere", "--for=delete", "--timeout", "60s"});
  CHECK(unknown.exit_code == 1);
  CHECK_THAT(unknown.err, Catch::StartsWith("hivectl: sandbox \"sb-nothere\" not found"));
}

TEST_CASE("a local server's first start gives hivectl a context to use", "[integration]") {
  TestServer server;
  const std::string config = server.state_dir() + "/hiveconfig";
  const std::vector<std::string> env{"HIVECONFIG=" + config};
  auto current =
      hive::test::run({hive::test::bin("hivectl"), "config", "current-context"}, "", env);
  CHECK(current.out == "local\n");
  auto contexts = hive::test::run({hive::test::bin("hivectl"), "config", "get-contexts"}, "", env);
  CHECK_THAT(contexts.out, Catch::Contains(server.url()));
  // No --server, no HIVE_SERVER, no token: the context has them.
  auto spawned = hive::test::run({hive::test::bin("hivectl"), "spawn", "-o", "name"}, "", env);
  INFO(spawned.err);
  REQUIRE(spawned.exit_code == 0);
  auto listed = hive::test::run({hive::test::bin("hivectl"), "list", "-o", "name"}, "", env);
  CHECK(listed.out == spawned.out);
  // --context beats HIVE_SERVER; a context that does not exist is a usage error.
  auto beats =
      hive::test::run({hive::test::bin("hivectl"), "--context", "local", "list", "-o", "name"}, "",
                      {env[0], "HIVE_SERVER=http://127.0.0.1:1"});
  CHECK(beats.out == spawned.out);
  auto missing =
      hive::test::run({hive::test::bin("hivectl"), "--context", "nope", "list"}, "", env);
  CHECK(missing.exit_code == 2);
  CHECK_THAT(missing.err, Catch::Contains("no context 'nope'"));
  // A second start leaves the context alone.
  server.kill9();
  server.start();
  CHECK_THAT(hive::test::slurp(config), Catch::Contains("name: local"));
}

TEST_CASE("completion in real bash, zsh and fish offers live sandbox ids", "[integration]") {
  TestServer server;
  auto sb = server.client().spawn({.name = "completed"});
  REQUIRE(sb);
  const std::vector<std::string> env{"HIVE_SERVER=" + server.url(), "HIVE_TOKEN=" + server.token(),
                                     "PATH=" + std::string(HIVE_BIN_DIR) + ":/usr/bin:/bin"};
  auto bash = hive::test::run(
      {"/bin/bash", "-c",
       "source <(hivectl completion bash); COMP_WORDS=(hivectl exec ''); COMP_CWORD=2; _hivectl;"
       " printf '%s\\n' \"${COMPREPLY[@]}\"; COMP_WORDS=(hivectl ex); COMP_CWORD=1; _hivectl;"
       " printf '%s\\n' \"${COMPREPLY[@]}\""},
      "", env);
  CHECK(bash.out == sb->id + "\ncompleted\nexec\n");

  auto fish =
      hive::test::run({"/usr/bin/fish", "-c",
                       "hivectl completion fish | source; complete -C 'hivectl mcp tools com'"},
                      "", env);
  CHECK(fish.out == "completed\n");

  // zsh completes only in an interactive line editor: drive one in tmux.
  hive::test::Tmux tmux;
  REQUIRE(tmux.open("env PATH=" + std::string(HIVE_BIN_DIR) + ":/usr/bin:/bin HIVE_SERVER=" +
                        server.url() + " HIVE_TOKEN=" + server.token() + " zsh -f",
                    120, 20));
  // The prompt is spelt in two halves so that the typed line itself does not show it.
  tmux.keys(
      {"PS1='zsh''-ready> '; autoload -U compinit && compinit -u && "
       "source <(hivectl completion zsh)",
       "Enter"});
  REQUIRE(tmux.shows("zsh-ready>"));  // (the pane drops trailing blanks)
  tmux.keys({"hivectl desc", "Tab"});
  REQUIRE(tmux.shows("hivectl describe"));
  tmux.keys({"comp", "Tab"});
  CHECK(tmux.shows("hivectl describe completed"));
}

TEST_CASE("spawn --count makes many, --dry-run makes none", "[integration]") {
  TestServer server;
  auto many = server.hivectl({"spawn", "--count", "12", "-l", "batch=b"});
  CHECK(many.exit_code == 0);
  CHECK(std::count(many.out.begin(), many.out.end(), '\n') == 12);
  auto listed = server.hivectl({"list", "-l", "batch=b", "-o", "name"});
  CHECK(listed.out.size() == many.out.size());
  CHECK(server.hivectl({"spawn", "--count", "2", "--name", "x"}).exit_code == 2);

  auto dry = server.hivectl({"spawn", "--memory", "2Gi", "--port", "8080", "--dry-run"});
  CHECK(dry.exit_code == 0);
  auto spec = nlohmann::json::parse(dry.out);
  CHECK(spec["resources"]["memory"] == "2Gi");
  CHECK(spec["ports"][0] == 8080);
  auto bad = server.hivectl({"spawn", "--memory", "2Gx", "--dry-run"});
  CHECK(bad.exit_code == 2);
  CHECK_THAT(bad.err, Catch::Contains("resources.memory"));
  CHECK(server.hivectl({"list", "-o", "name"}).out.size() == many.out.size());  // none made
}

TEST_CASE("list --watch prints the list, then each change", "[integration]") {
  TestServer server;
  auto before = server.client().spawn({.labels = {{"w", "1"}}});
  REQUIRE(before);
  auto watcher = std::async(std::launch::async, [&] {
    return hive::test::run({"/usr/bin/timeout", "4", hive::test::bin("hivectl"), "list", "-w", "-l",
                            "w=1", "-o", "jsonpath={.type} {.object.id} {.object.state}"},
                           "", {"HIVE_SERVER=" + server.url(), "HIVE_TOKEN=" + server.token()});
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  auto added = server.client().spawn({.labels = {{"w", "1"}}});
  REQUIRE(added);
  auto other = server.client().spawn({.labels = {{"w", "2"}}});  // not selected
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  REQUIRE(server.client().deprovision(before->id));
  auto out = watcher.get().out;
  CHECK_THAT(out, Catch::StartsWith("ADDED " + before->id + " Running\n"));
  CHECK_THAT(out, Catch::Contains("ADDED " + added->id + " "));  // Starting, or Running already
  CHECK_THAT(out, Catch::Contains(added->id + " Running\n"));
  CHECK_THAT(out, Catch::Contains("DELETED " + before->id));
  CHECK(out.find(other->id) == std::string::npos);

  // get -w follows the sandboxes named, and only those.
  auto get_watch = std::async(std::launch::async, [&] {
    return hive::test::run(
        {"/usr/bin/timeout", "2", hive::test::bin("hivectl"), "get", "-w", added->id, "-o", "name"},
        "", {"HIVE_SERVER=" + server.url(), "HIVE_TOKEN=" + server.token()});
  });
  CHECK(get_watch.get().out == added->id + "\n");
}

TEST_CASE("spawn --no-wait answers at once and the sandbox comes up", "[integration]") {
  TestServer server;
  auto started = server.hivectl({"spawn", "--no-wait", "-o", "jsonpath={.id} {.state}"});
  REQUIRE(started.exit_code == 0);
  const std::string id = started.out.substr(0, started.out.find(' '));
  CHECK_THAT(started.out, Catch::EndsWith(" Starting") || Catch::EndsWith(" Running"));
  CHECK(server.hivectl({"wait", id, "--for=state=Running", "--timeout=20s"}).exit_code == 0);
  CHECK(server.hivectl({"exec", id, "--", "true"}).exit_code == 0);
  auto bad =
      hive::test::run({"/usr/bin/curl", "-s", "-H", "Authorization: Bearer " + server.token(), "-d",
                       "{}", server.url() + "/v1/sandboxes?wait=soon"});
  CHECK_THAT(bad.out, Catch::Contains("wait is true or false"));
}

TEST_CASE("wait, get, describe and keepalive by label, and wait's states in any case",
          "[integration][hivectl]") {
  TestServer server;
  auto spawned = server.hivectl({"spawn", "--count", "2", "--no-wait", "-l", "batch=l"});
  REQUIRE(spawned.exit_code == 0);
  auto running = server.hivectl({"wait", "-l", "batch=l", "--for=state=running", "--timeout=30s"});
  CHECK(running.exit_code == 0);
  CHECK(std::count(running.out.begin(), running.out.end(), '\n') == 2);
  CHECK_THAT(running.out, Catch::Contains(" condition met\n"));
  auto lines = [](const std::string& text) {  // in any order: two spawned at once
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) out.push_back(line);
    std::sort(out.begin(), out.end());
    return out;
  };
  auto got = server.hivectl({"get", "-l", "batch=l", "-o", "name"});
  CHECK(lines(got.out) == lines(spawned.out));
  CHECK(server.hivectl({"describe", "-l", "batch=l"}).exit_code == 0);
  auto kept = server.hivectl({"keepalive", "-l", "batch=l", "-o", "name"});
  CHECK(kept.exit_code == 0);
  CHECK(lines(kept.out) == lines(spawned.out));
  const std::string first = spawned.out.substr(0, spawned.out.find('\n'));
  auto never = server.hivectl({"wait", first, "--for=state=Failed", "--timeout", "1"});
  CHECK(never.err == "hivectl: timed out after 1s waiting for " + first + " (state=Failed)\n");
  auto typo = server.hivectl({"wait", first, "--for=state=Runing"});
  CHECK(typo.exit_code == 2);
  CHECK_THAT(typo.err, Catch::Contains("one of Pending, Pulling, Starting, Running"));
}

TEST_CASE("logs without a pid, version -o json, list -w -o json and cp -- from a real server",
          "[integration][hivectl]") {
  TestServer server;
  auto id = trim(server.hivectl({"spawn"}).out);
  REQUIRE(!id.empty());
  auto pid = trim(server.hivectl({"exec", "-d", id, "--", "sh", "-c", "echo from-bg"}).out);
  REQUIRE(!pid.empty());
  CHECK(server.hivectl({"logs", "-f", id}).out == "from-bg\n");  // its only process
  REQUIRE(!trim(server.hivectl({"exec", "-d", id, "--", "sleep", "30"}).out).empty());
  auto several = server.hivectl({"logs", id});
  CHECK(several.exit_code == 2);
  CHECK_THAT(several.err, Catch::Contains("say which: hivectl logs " + id + " PID"));

  auto version = server.hivectl({"version", "-o", "json"});
  CHECK(version.exit_code == 0);
  auto json = nlohmann::json::parse(version.out);
  CHECK(json["clientVersion"]["version"] == json["serverVersion"]["version"]);

  auto watched = hive::test::run(
      {"/usr/bin/timeout", "2", hive::test::bin("hivectl"), "list", "-w", "-o", "json"}, "",
      {"HIVE_SERVER=" + server.url(), "HIVE_TOKEN=" + server.token()});
  REQUIRE(!watched.out.empty());
  const std::string line = watched.out.substr(0, watched.out.find('\n'));
  CHECK(nlohmann::json::parse(line)["object"]["id"] == id);  // one whole event on one line

  hive::test::TempDir dir;
  const std::string name = "-dash.txt";
  { std::ofstream(dir.path() + "/" + name) << "dashed\n"; }
  auto copied =
      hive::test::run({"/bin/sh", "-c",
                       "cd '" + dir.path() + "' && " + hive::test::bin("hivectl") + " cp -- " +
                           name + " " + id + ":/workspace/"},
                      "", {"HIVE_SERVER=" + server.url(), "HIVE_TOKEN=" + server.token()});
  CHECK(copied.exit_code == 0);
  CHECK(server.hivectl({"exec", id, "--", "cat", "/workspace/" + name}).out == "dashed\n");
}
