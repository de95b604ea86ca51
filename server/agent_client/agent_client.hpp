// The gateway's client for a sandbox's hive-agent: one HTTP request over the agent's Unix
// socket (local) or TCP (a Pod), with a deadline, on a kept-alive connection when one is
// idle. Blocking; called from worker threads; thread-safe.
#pragma once

#include <chrono>
#include <string>

#include "common/unique_fd.hpp"
#include "hive/error.hpp"
#include "runtime/runtime.hpp"

namespace hive::server {

struct AgentReply {
  int status = 0;
  std::string body;
};

enum class Method { Get, Post, Delete, Put };

Result<AgentReply> call_agent(const AgentEndpoint& endpoint, Method method,
                              const std::string& target, const std::string& body,
                              std::chrono::milliseconds timeout);

// Kept-alive connections to agents, shared with the gateway's proxy: a live idle one (invalid
// when none), and one given back after a complete exchange.
UniqueFd take_idle_connection(const AgentEndpoint& endpoint);
void give_idle_connection(const AgentEndpoint& endpoint, UniqueFd fd);

// Closes the idle connections to an agent that is going away.
void forget_agent(const AgentEndpoint& endpoint);

}  // namespace hive::server
