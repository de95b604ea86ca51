// What the image suites' cases share: a sandbox to run shell lines in, a spawn that must
// succeed, and the store's layer directories.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "process.hpp"

namespace hive::test {

struct Sandbox {
  const TestServer& server;
  std::string id;
  Outcome sh(const std::string& script) const {
    return server.hivectl({"exec", id, "--", "sh", "-c", script});
  }
};

inline Sandbox spawn(const TestServer& server, const std::string& image) {
  auto spawned = server.hivectl({"spawn", "--image", image});
  INFO(spawned.err);
  REQUIRE(spawned.exit_code == 0);
  return Sandbox{server, trim(spawned.out)};
}

inline std::vector<std::string> layer_dirs(const TestServer& server) {
  std::vector<std::string> dirs;
  std::error_code ec;
  for (const auto& e :
       std::filesystem::directory_iterator(server.state_dir() + "/images/layers", ec)) {
    dirs.push_back(e.path().string());
  }
  return dirs;
}

}  // namespace hive::test
