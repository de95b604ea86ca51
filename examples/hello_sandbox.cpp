// The smallest libsandbox program: spawn a sandbox, run a command in it, print what it said,
// and deprovision it. Reads HIVE_SERVER and HIVE_TOKEN like hivectl.
//
//   HIVE_SERVER=http://127.0.0.1:7070 HIVE_TOKEN=... build/bin/hello-sandbox
#include <cstdlib>
#include <iostream>

#include "hive/sandbox/client.hpp"

int main() {
  hive::sandbox::ClientOptions options;
  if (const char* server = std::getenv("HIVE_SERVER")) options.server = server;
  if (const char* token = std::getenv("HIVE_TOKEN")) options.token = token;
  hive::sandbox::Client client(options);

  auto sandbox = client.spawn({});
  if (!sandbox) {
    std::cerr << "spawn: " << sandbox.error().message << "\n";
    return 1;
  }
  hive::sandbox::ExecRequest request;
  request.command = "echo hello from $(hostname)";
  auto result = client.exec(sandbox->id, request);
  (void)client.deprovision(sandbox->id);  // whatever happened, leave nothing behind
  if (!result) {
    std::cerr << "exec: " << result.error().message << "\n";
    return 1;
  }
  std::cout << result->stdout_data;
  return result->exit_code;
}
