#include "hive/sandbox/types.hpp"

#include <array>

namespace hive::sandbox {
namespace {

constexpr std::array<std::pair<State, const char*>, 7> kStates{{
    {State::Pending, "Pending"},
    {State::Pulling, "Pulling"},
    {State::Starting, "Starting"},
    {State::Running, "Running"},
    {State::Terminating, "Terminating"},
    {State::Terminated, "Terminated"},
    {State::Failed, "Failed"},
}};

}  // namespace

std::string to_string(State state) {
  for (const auto& [s, name] : kStates) {
    if (s == state) return name;
  }
  return "Failed";
}

std::optional<State> state_from_string(const std::string& name) {
  for (const auto& [s, n] : kStates) {
    if (name == n) return s;
  }
  return std::nullopt;
}

std::vector<State> all_states() {
  std::vector<State> states;
  for (const auto& [s, name] : kStates) states.push_back(s);
  return states;
}

bool is_final(State state) { return state == State::Terminated || state == State::Failed; }

std::string to_string(Network network) {
  switch (network) {
    case Network::Host:
      return "host";
    case Network::Egress:
      return "egress";
    case Network::None:
      break;
  }
  return "none";
}

}  // namespace hive::sandbox
