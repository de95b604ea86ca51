// /metrics in Prometheus text format (docs/api.md): latency histograms of spawn, exec and the
// gateway's proxying, errors by kind, requests by status class; sandboxes by state and reaped
// by reason are read from the service at scrape time. No label names a sandbox: a fleet of
// 10,000 short-lived sandboxes must not become 10,000 series.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace hive::server {

class Histogram {
 public:
  static constexpr std::array<double, 15> kBounds{
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
  void observe(double seconds);
  void render(std::string& out, std::string_view name, std::string_view help) const;

 private:
  std::array<std::atomic<std::uint64_t>, kBounds.size() + 1> buckets_{};  // last: +Inf
  std::atomic<std::uint64_t> sum_micros_{0};
};

class Metrics {
 public:
  enum class Kind { Spawn, Exec, Proxy, Other };
  // One finished request: its kind, HTTP status and duration (a stream's whole duration).
  void observe(Kind kind, unsigned status, double seconds);
  // The text of a scrape; the gauges and counters the service keeps come in as arguments.
  std::string render(const std::map<std::string, std::uint64_t>& sandboxes_by_state,
                     const std::map<std::string, std::uint64_t>& reaped_by_reason) const;

 private:
  Histogram spawn_, exec_, proxy_;
  // By status: 1xx-5xx, and the error kinds of 4xx/5xx answers.
  std::array<std::atomic<std::uint64_t>, 600> by_status_{};
};

}  // namespace hive::server
