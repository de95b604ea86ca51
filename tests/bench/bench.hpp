// What the benchmark's parts share: timing samples, percentiles, and the table that prints
// each figure beside its floor.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "process.hpp"

namespace hive::bench {

using Clock = std::chrono::steady_clock;
using Micros = std::vector<double>;

inline double percentile(Micros samples, double p) {
  std::sort(samples.begin(), samples.end());
  auto index = static_cast<std::size_t>(p * static_cast<double>(samples.size() - 1) + 0.5);
  return samples[index];
}

inline Micros measure(int n, const std::function<void()>& body) {
  Micros out;
  for (int i = 0; i < n; ++i) {
    auto start = Clock::now();
    body();
    out.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
  }
  return out;
}

struct Row {
  std::string name;
  Micros samples;
};

inline void print(const std::vector<Row>& rows, const Row& floor_row) {
  double floor = percentile(floor_row.samples, 0.5);
  std::printf("%-52s %6s %10s %10s %8s\n", "figure", "n", "p50 ms", "p95 ms", "x floor");
  for (const auto& row : rows) {
    if (row.samples.empty()) continue;
    double p50 = percentile(row.samples, 0.5);
    std::printf("%-52s %6zu %10.3f %10.3f %8.1f\n", row.name.c_str(), row.samples.size(),
                p50 / 1000, percentile(row.samples, 0.95) / 1000, p50 / floor);
  }
}

// MCP tools/call round trips: straight to the agent, through the gateway, and to a bridged
// stdio server (when tests/interop/everything is installed).
void bench_mcp(test::TestServer& server, int calls);

// One sandbox attacks everything it can while another's exec latency is sampled; false on an
// error or when the attacker's own sandbox is lost (bench_hostile.cpp).
bool hostile(test::TestServer& server, int seconds);

// Spawn from a cached image beside image "host"; a cold pull of ~200 MB beside skopeo+umoci.
void bench_images(int spawns);

}  // namespace hive::bench
