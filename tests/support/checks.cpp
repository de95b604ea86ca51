#include "checks.hpp"

#include <catch2/catch.hpp>

#include <thread>

namespace hive::test {

sandbox::ExecResult run_in(sandbox::Client& client, const std::string& id,
                           const std::string& command) {
  sandbox::ExecRequest request;
  request.command = command;
  request.timeout_seconds = 20;
  auto result = client.exec(id, request);
  INFO(command);
  INFO((result ? std::string() : result.error().message));
  REQUIRE(result);
  return *result;
}

sandbox::Sandbox wait_until_ended(sandbox::Client& client, const std::string& id,
                                  std::chrono::seconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    auto sb = client.get(id);
    REQUIRE(sb);
    if (sandbox::is_final(sb->state) || std::chrono::steady_clock::now() > deadline) return *sb;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace hive::test
