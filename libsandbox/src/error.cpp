#include "hive/error.hpp"

#include <array>
#include <cerrno>
#include <cstring>

namespace hive {
namespace {

constexpr std::array<std::pair<Errc, std::string_view>, 13> kNames{{
    {Errc::invalid_argument, "invalid_argument"},
    {Errc::unauthorized, "unauthorized"},
    {Errc::forbidden, "forbidden"},
    {Errc::not_found, "not_found"},
    {Errc::conflict, "conflict"},
    {Errc::payload_too_large, "payload_too_large"},
    {Errc::insufficient_storage, "insufficient_storage"},
    {Errc::too_many_requests, "too_many_requests"},
    {Errc::unavailable, "unavailable"},
    {Errc::timeout, "timeout"},
    {Errc::agent_error, "agent_error"},
    {Errc::internal, "internal"},
    {Errc::transport, "transport"},
}};

}  // namespace

std::string_view to_string(Errc code) {
  for (const auto& [c, name] : kNames) {
    if (c == code) return name;
  }
  return "internal";
}

std::optional<Errc> errc_from_string(std::string_view name) {
  for (const auto& [c, n] : kNames) {
    if (n == name) return c;
  }
  return std::nullopt;
}

Error sys_error(std::string_view call, std::string_view arg, int err) {
  std::string message(call);
  if (!arg.empty()) message += " '" + std::string(arg) + "'";
  message += ": ";
  message += std::strerror(err);
  // A full disk is no bug of ours: said as such, to the client as a 507.
  const bool full = err == ENOSPC || err == EDQUOT;
  return Error{full ? Errc::insufficient_storage : Errc::internal, std::move(message), err};
}

}  // namespace hive
