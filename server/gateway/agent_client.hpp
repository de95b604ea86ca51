// The gateway's client for a sandbox's hive-agent: one HTTP request over the agent's Unix
// socket (local) or TCP (a Pod), with a deadline. Blocking; called from worker threads.
#pragma once

#include <chrono>
#include <string>

#include "hive/error.hpp"
#include "runtime/runtime.hpp"

namespace hive::server {

struct AgentReply {
  int status = 0;
  std::string body;
};

enum class Method { Get, Post, Delete, Put };

Result<AgentReply> call_agent(const runtime::AgentEndpoint& endpoint, Method method,
                              const std::string& target, const std::string& body,
                              std::chrono::milliseconds timeout);

}  // namespace hive::server
