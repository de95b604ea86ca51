// The client configuration's rules: kubectl's merge of several files, contexts resolved to a
// server and a token, and the files written back.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <fstream>

#include "hive/sandbox/config.hpp"
#include "process.hpp"

using namespace hive::sandbox;

namespace {

Config parse_text(const hive::test::TempDir& dir, const std::string& name,
                  const std::string& yaml) {
  const std::string path = dir.path() + "/" + name;
  std::ofstream(path) << yaml;
  auto config = load_config(path);
  REQUIRE(config);
  return *config;
}

}  // namespace

TEST_CASE("HIVECONFIG lists files; without it ~/.hive/config", "[unit]") {
  CHECK(config_paths("/a:/b::/c", "/home/u") == std::vector<std::string>{"/a", "/b", "/c"});
  CHECK(config_paths("", "/home/u") == std::vector<std::string>{"/home/u/.hive/config"});
  CHECK(config_paths(nullptr, "/home/u") == std::vector<std::string>{"/home/u/.hive/config"});
}

TEST_CASE("merging: the first file to define a name or a current context wins", "[unit]") {
  hive::test::TempDir dir;
  auto first = parse_text(dir, "a", R"(
servers: [{name: prod, url: "http://first:1"}]
contexts: [{name: prod, server: prod, user: me}]
users: [{name: me, token: one}]
)");
  auto second = parse_text(dir, "b", R"(
current-context: dev
servers: [{name: prod, url: "http://second:1"}, {name: dev, url: "http://dev:2"}]
contexts: [{name: dev, server: dev}]
)");
  auto merged = merge_configs({first, second});
  CHECK(merged.current_context == "dev");  // the first file sets none
  CHECK(merged.server("prod")->url == "http://first:1");
  CHECK(merged.server("dev")->url == "http://dev:2");
  CHECK(merged.contexts.size() == 2);
  CHECK(resolve_context(merged, "prod")->token == "one");
  CHECK(resolve_context(merged, "dev")->server == "http://dev:2");
  CHECK(resolve_context(merged, "dev")->token.empty());

  first.current_context = "prod";
  CHECK(merge_configs({first, second}).current_context == "prod");
  CHECK(merge_configs({second, first}).server("prod")->url == "http://second:1");
}

TEST_CASE("contexts that point nowhere and files that are not configs are errors", "[unit]") {
  hive::test::TempDir dir;
  auto config = parse_text(dir, "a", R"(
servers: [{name: s, url: "http://s:1"}]
users: [{name: u, token-file: /nonexistent/token}]
contexts: [{name: no-server, server: x}, {name: no-user, server: s, user: y},
           {name: bad-file, server: s, user: u}]
)");
  CHECK_THAT(resolve_context(config, "nope").error().message, Catch::Contains("no context 'nope'"));
  CHECK_THAT(resolve_context(config, "no-server").error().message, Catch::Contains("server 'x'"));
  CHECK_THAT(resolve_context(config, "no-user").error().message, Catch::Contains("user 'y'"));
  CHECK_THAT(resolve_context(config, "bad-file").error().message,
             Catch::Contains("/nonexistent/token"));

  for (const char* text : {"[1, 2]", "servers: {a: 1}", "servers: [{url: x}]",
                           "servers: [{name: a}]", "contexts: [{name: c", "just text"}) {
    INFO(text);
    std::ofstream(dir.path() + "/bad") << text;
    auto loaded = load_config(dir.path() + "/bad");
    REQUIRE_FALSE(loaded);
    CHECK_THAT(loaded.error().message, Catch::Contains(dir.path() + "/bad"));
  }
  CHECK(load_config(dir.path() + "/missing")->contexts.empty());  // no file: an empty config
}

TEST_CASE("a saved config reads back the same and is private", "[unit]") {
  hive::test::TempDir dir;
  Config config;
  config.current_context = "c";
  config.put(ConfigServer{"s", "http://s:1"});
  config.put(ConfigUser{"u", "secret", ""});
  config.put(ConfigContext{"c", "s", "u"});
  config.put(ConfigServer{"s", "http://s:2"});  // replaces by name
  const std::string path = dir.path() + "/new/config";
  REQUIRE(save_config(path, config));
  auto back = load_config(path);
  REQUIRE(back);
  CHECK(back->servers.size() == 1);
  CHECK(back->server("s")->url == "http://s:2");
  CHECK(resolve_context(*back, "c")->token == "secret");
  CHECK(config_to_yaml(*back, true).find("secret") == std::string::npos);
  struct stat st {};
  REQUIRE(stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
}
