#include "api/metrics.hpp"

#include <cstdio>

namespace hive::server {
namespace {

// The Hive error code an HTTP status stands for (errors by kind).
const char* error_kind(unsigned status) {
  switch (status) {
    case 400:
      return "invalid_argument";
    case 401:
      return "unauthorized";
    case 403:
      return "forbidden";
    case 404:
      return "not_found";
    case 405:
      return "method_not_allowed";
    case 408:
      return "request_timeout";
    case 409:
      return "conflict";
    case 413:
      return "payload_too_large";
    case 507:
      return "insufficient_storage";
    case 429:
      return "too_many_requests";
    case 431:
      return "header_too_large";
    case 502:
      return "agent_error";
    case 503:
      return "unavailable";
    case 504:
      return "timeout";
    default:
      return status >= 500 ? "internal" : "other";
  }
}

void append_value(std::string& out, std::string_view series, double value) {
  char number[64];
  std::snprintf(number, sizeof number, " %.17g\n", value);
  out.append(series).append(number);
}

void header(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

// One metric family with one label: its HELP and TYPE lines, then a series per value.
void labelled_family(std::string& out, std::string_view name, std::string_view type,
                     std::string_view help, std::string_view label,
                     const std::map<std::string, std::uint64_t>& counts) {
  header(out, name, type, help);
  for (const auto& [value, count] : counts) {
    append_value(out, std::string(name) + "{" + std::string(label) + "=\"" + value + "\"}",
                 static_cast<double>(count));
  }
}

}  // namespace

void Histogram::observe(double seconds) {
  std::size_t i = 0;
  while (i < kBounds.size() && seconds > kBounds[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  sum_micros_.fetch_add(static_cast<std::uint64_t>(seconds * 1e6), std::memory_order_relaxed);
}

void Histogram::render(std::string& out, std::string_view name, std::string_view help) const {
  header(out, name, "histogram", help);
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i <= kBounds.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    char le[32];
    if (i < kBounds.size()) {
      std::snprintf(le, sizeof le, "%g", kBounds[i]);
    } else {
      std::snprintf(le, sizeof le, "+Inf");
    }
    append_value(out, std::string(name) + "_bucket{le=\"" + le + "\"}",
                 static_cast<double>(cumulative));
  }
  append_value(out, std::string(name) + "_sum",
               static_cast<double>(sum_micros_.load(std::memory_order_relaxed)) / 1e6);
  append_value(out, std::string(name) + "_count", static_cast<double>(cumulative));
}

void Metrics::observe(Kind kind, unsigned status, double seconds) {
  if (status < by_status_.size()) by_status_[status].fetch_add(1, std::memory_order_relaxed);
  if (status >= 400) return;  // latencies of calls that did their work
  switch (kind) {
    case Kind::Spawn:
      spawn_.observe(seconds);
      break;
    case Kind::Exec:
      exec_.observe(seconds);
      proxy_.observe(seconds);
      break;
    case Kind::Proxy:
      proxy_.observe(seconds);
      break;
    case Kind::Other:
      break;
  }
}

std::string Metrics::render(const std::map<std::string, std::uint64_t>& sandboxes_by_state,
                            const std::map<std::string, std::uint64_t>& reaped_by_reason) const {
  std::string out;
  labelled_family(out, "hive_sandboxes", "gauge", "Sandboxes by state.", "state",
                  sandboxes_by_state);
  labelled_family(out, "hive_reaped_total", "counter", "Sandboxes reaped, by reason (ttl, idle).",
                  "reason", reaped_by_reason);
  spawn_.render(out, "hive_spawn_duration_seconds", "Spawn requests until the sandbox answered.");
  exec_.render(out, "hive_exec_duration_seconds", "Exec calls through the gateway, whole.");
  proxy_.render(out, "hive_proxy_duration_seconds",
                "Requests the gateway proxied to agents (exec, files, attach, MCP), whole.");
  std::map<std::string, std::uint64_t> classes, errors;
  for (unsigned status = 100; status < by_status_.size(); ++status) {
    auto count = by_status_[status].load(std::memory_order_relaxed);
    if (count == 0) continue;
    classes[std::to_string(status / 100) + "xx"] += count;
    if (status >= 400) errors[error_kind(status)] += count;
  }
  labelled_family(out, "hive_http_requests_total", "counter", "Requests answered, by status class.",
                  "code", classes);
  labelled_family(out, "hive_errors_total", "counter", "Requests answered with an error, by kind.",
                  "kind", errors);
  return out;
}

}  // namespace hive::server
