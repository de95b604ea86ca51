#include <catch2/catch.hpp>

#include <sstream>

#include "app.hpp"
#include "printers/printer.hpp"

using namespace hive::cli;

namespace {

struct Run {
  int code;
  std::string out, err;
};

Run hivectl(std::vector<std::string> args) {
  args.insert(args.begin(), "hivectl");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  std::istringstream in;
  std::ostringstream out, err;
  int code = run_hivectl(static_cast<int>(argv.size()), argv.data(), {in, out, err});
  return {code, out.str(), err.str()};
}

}  // namespace

TEST_CASE("exec without '--' is a usage error that says what to do", "[unit]") {
  auto r = hivectl({"exec", "sb-1", "ls", "-la"});
  CHECK(r.code == kExitExecHive);
  CHECK_THAT(r.err, Catch::Contains("the command must follow '--'"));
  auto none = hivectl({"exec", "sb-1", "--"});
  CHECK(none.code == kExitExecHive);
  CHECK_THAT(none.err, Catch::Contains("no command after '--'"));
}

TEST_CASE("bad flags are usage errors with exit 2", "[unit]") {
  CHECK(hivectl({"list", "-o", "xml"}).code == kExitUsage);
  CHECK(hivectl({"frobnicate"}).code == kExitUsage);
  CHECK(hivectl({}).code == kExitUsage);
  auto spawn = hivectl({"spawn", "--network", "wifi"});
  CHECK(spawn.code == kExitUsage);
  CHECK_THAT(spawn.err, Catch::Contains("wifi"));
}

TEST_CASE("help lists the verbs and the exit codes", "[unit]") {
  auto r = hivectl({"--help"});
  CHECK(r.code == 0);
  for (const char* verb : {"spawn", "list", "get", "exec", "deprovision", "wait", "Exit codes",
                           "Sandboxes:", "Inside a sandbox:", "Lifecycle:"}) {
    CHECK_THAT(r.out, Catch::Contains(verb));
  }
  auto exec = hivectl({"exec", "--help"});
  CHECK_THAT(exec.out, Catch::Contains("hivectl exec sb-4k7q2m9x -- ls -la /workspace"));
}

TEST_CASE("an unreachable server exits 3 with the address", "[unit]") {
  auto r = hivectl({"--server", "http://127.0.0.1:1", "--token", "t", "list"});
  CHECK(r.code == kExitNoServer);
  CHECK_THAT(r.err, Catch::Contains("cannot reach hive-server at http://127.0.0.1:1"));
}

TEST_CASE("ages read like kubectl's", "[unit]") {
  using std::chrono::seconds;
  auto base = std::chrono::system_clock::from_time_t(1'800'000'000);
  const std::string t = "2027-01-15T08:00:00.000Z";  // 1800000000
  CHECK(age(t, base + seconds(5)) == "5s");
  CHECK(age(t, base + seconds(300)) == "5m");
  CHECK(age(t, base + seconds(3 * 3600)) == "3h");
  CHECK(age(t, base + seconds(3 * 86400)) == "3d");
  CHECK(age("garbage", base) == "-");
}

TEST_CASE("the table has a header and one row per sandbox", "[unit]") {
  hive::sandbox::Sandbox sb;
  sb.id = "sb-abc";
  sb.state = hive::sandbox::State::Running;
  std::ostringstream out;
  print_sandboxes(out, {OutputFormat::Table}, {sb});
  CHECK_THAT(out.str(), Catch::StartsWith("ID "));
  CHECK_THAT(out.str(), Catch::Contains("sb-abc"));
  std::ostringstream json;
  print_sandboxes(json, {OutputFormat::Json}, {sb});
  CHECK_THAT(json.str(), Catch::Contains("\"items\""));
  std::ostringstream names;
  print_sandboxes(names, {OutputFormat::Name}, {sb, sb});
  CHECK(names.str() == "sb-abc\nsb-abc\n");
}

TEST_CASE("wide, labels, no headers and YAML", "[unit]") {
  hive::sandbox::Sandbox sb;
  sb.id = "sb-abc";
  sb.spec.labels = {{"run", "42"}, {"tier", "web"}};
  sb.spec.resources.memory = "512Mi";
  sb.spec.resources.pids = 64;
  std::ostringstream wide;
  print_sandboxes(wide, {OutputFormat::Wide, true, true}, {sb});
  CHECK_THAT(wide.str(), Catch::Contains("NETWORK"));
  CHECK_THAT(wide.str(), Catch::Contains("LABELS"));
  CHECK_THAT(wide.str(), Catch::Contains("memory=512Mi,pids=64"));
  CHECK_THAT(wide.str(), Catch::Contains("run=42,tier=web"));
  std::ostringstream bare;
  print_sandboxes(bare, {OutputFormat::Table, false, false}, {sb});
  CHECK_THAT(bare.str(), Catch::StartsWith("sb-abc"));
  std::ostringstream none;
  print_sandboxes(none, {OutputFormat::Table, false, false}, {});
  CHECK(none.str().empty());
  std::ostringstream yaml;
  print_sandbox(yaml, {OutputFormat::Yaml}, sb);
  CHECK_THAT(yaml.str(), Catch::Contains("id: sb-abc"));
  CHECK_THAT(yaml.str(), Catch::Contains("run: \"42\""));  // a string stays a string
  CHECK_THAT(yaml.str(), Catch::Contains("pids: 64"));
}

TEST_CASE("describe shows every field with ages", "[unit]") {
  hive::sandbox::Sandbox sb;
  sb.id = "sb-abc";
  sb.spec.name = "rollout-1";
  sb.state = hive::sandbox::State::Running;
  sb.reason = "oom";
  sb.spec.env = {{"K", "V"}};
  sb.created_at = "2027-01-15T08:00:00.000Z";
  std::ostringstream out;
  describe(out, sb,
           std::chrono::system_clock::from_time_t(1'800'000'000) + std::chrono::seconds(90));
  CHECK_THAT(out.str(), Catch::Contains("Name:         rollout-1"));
  CHECK_THAT(out.str(), Catch::Contains("State:        Running (oom)"));
  CHECK_THAT(out.str(), Catch::Contains("Env:          K=V"));
  CHECK_THAT(out.str(), Catch::Contains("(90s ago)"));
  CHECK_THAT(out.str(), Catch::Contains("Resources:    no limits"));
}

TEST_CASE("wait refuses conditions and durations it cannot read", "[unit]") {
  auto bad_for = hivectl({"wait", "sb-1", "--for", "ready"});
  CHECK(bad_for.code == kExitUsage);
  CHECK_THAT(bad_for.err, Catch::Contains("state=<State> or delete"));
  auto bad_timeout = hivectl({"wait", "sb-1", "--for=delete", "--timeout", "soon"});
  CHECK(bad_timeout.code == kExitUsage);
  CHECK_THAT(bad_timeout.err, Catch::Contains("expected a duration"));
}
