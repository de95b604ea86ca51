#include "checks.hpp"

#include <catch2/catch.hpp>

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

}  // namespace hive::test
