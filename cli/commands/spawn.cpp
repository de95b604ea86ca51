// hivectl spawn: create a sandbox and wait until it is Running.
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <sstream>
#include <thread>

#include "app.hpp"
#include "commands/shared.hpp"
#include "duration.hpp"
#include "hive/sandbox/codec.hpp"
#include "printers/printer.hpp"

namespace hive::cli {
namespace {

struct SpawnOptions {
  sandbox::SandboxSpec spec;
  std::vector<std::string> labels, env, node_selector;
  std::string network = "none";
  std::string mcp_config;  // a Claude-desktop file: {"mcpServers": {...}}
  int count = 1;
  bool dry_run = false, no_wait = false;
  std::string pull = "missing";
};

// --pull: the server pulls a missing image itself, but a spawn at a terminal pulls first to
// show the layers' progress (not with --no-wait); "always" pulls first anyway, "never" refuses
// an image not there.
Result<void> pull_first(Invocation& inv, const SpawnOptions& o) {
  if (o.spec.image == "host") return {};
  auto client = inv.client();
  if (o.pull == "never") {
    auto image = client.get_image(o.spec.image);
    if (!image && image.error().code == Errc::not_found) {
      return make_error(Errc::not_found, "image " + o.spec.image +
                                             " is not on the server and --pull is never "
                                             "('hivectl image pull " +
                                             o.spec.image + "')");
    }
    return {};
  }
  const bool at_terminal = isatty(STDERR_FILENO) != 0 && &inv.io.err == &std::cerr;
  if (o.pull == "missing") {
    if (!at_terminal || o.no_wait) return {};  // --no-wait: at once, the sandbox Pulling
    auto image = client.get_image(o.spec.image);
    if (image || image.error().code != Errc::not_found) return {};
  }
  auto pulled = client.pull_image(o.spec.image, pull_display(inv));
  if (!pulled) return pulled.error();
  return {};
}

// --count N: N sandboxes of one spec, spawned by up to 16 clients at once; ids in the order
// they were asked for. Failures are reported one by one.
int spawn_many(Invocation& inv, const sandbox::SandboxSpec& spec, int count) {
  std::vector<Result<sandbox::Sandbox>> results(static_cast<std::size_t>(count),
                                                make_error(Errc::internal, "not started"));
  std::atomic<int> next{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < std::min(count, 16); ++w) {
    workers.emplace_back([&] {
      auto client = inv.client();
      for (int i; (i = next.fetch_add(1)) < count;)
        results[static_cast<std::size_t>(i)] = client.spawn(spec);
    });
  }
  for (auto& worker : workers) worker.join();
  int code = kExitOk;
  std::vector<sandbox::Sandbox> spawned;
  for (auto& result : results) {
    if (result) {
      spawned.push_back(*result);
    } else {
      code = inv.fail(result.error());
    }
  }
  if (inv.print_options().structured()) {
    print_sandboxes(inv.io.out, inv.print_options(), spawned);
  } else {
    for (const auto& sb : spawned) inv.io.out << sb.id << "\n";
  }
  return code;
}

// The stdio MCP servers of a Claude-desktop style file, as the spec's mcp_servers.
Result<sandbox::Json> read_mcp_config(const std::string& path) {
  std::ifstream file(path);
  if (!file) return make_error(Errc::invalid_argument, "--mcp-config: cannot read " + path);
  std::stringstream text;
  text << file.rdbuf();
  auto json = sandbox::parse_json(text.str());
  if (!json) return json.error().context("--mcp-config " + path);
  if (!json->is_object() || !json->contains("mcpServers")) {
    return make_error(Errc::invalid_argument,
                      "--mcp-config " + path + ": expected {\"mcpServers\": {...}}");
  }
  return (*json)["mcpServers"];
}

// "k=v" -> {k, v}; the value may itself hold '='.
Result<void> add_pairs(const std::vector<std::string>& items, const char* flag,
                       std::map<std::string, std::string>& out) {
  for (const auto& item : items) {
    auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0) {
      return make_error(Errc::invalid_argument,
                        std::string(flag) + " '" + item + "': expected KEY=VALUE");
    }
    out[item.substr(0, eq)] = item.substr(eq + 1);
  }
  return {};
}

int run_spawn(Invocation& inv, SpawnOptions& o) {
  if (auto r = add_pairs(o.labels, "--label", o.spec.labels); !r) {
    inv.fail(r.error());
    return kExitUsage;
  }
  if (auto r = add_pairs(o.node_selector, "--node-selector", o.spec.node_selector); !r) {
    inv.fail(r.error());
    return kExitUsage;
  }
  if (auto r = add_pairs(o.env, "--env", o.spec.env); !r) {
    inv.fail(r.error());
    return kExitUsage;
  }
  if (!o.mcp_config.empty()) {
    auto servers = read_mcp_config(o.mcp_config);
    if (!servers) {
      inv.fail(servers.error());
      return kExitUsage;
    }
    o.spec.mcp_servers = std::move(*servers);
  }
  o.spec.network = o.network == "host"     ? sandbox::Network::Host
                   : o.network == "egress" ? sandbox::Network::Egress
                                           : sandbox::Network::None;
  if (o.dry_run) {  // checked by the server as a spawn would be, and shown; nothing is created
    if (auto checked = sandbox::spec_from_json(sandbox::to_json(o.spec)); !checked) {
      inv.fail(checked.error());
      return kExitUsage;
    }
    auto checked = inv.client().spawn_dry_run(o.spec);
    if (!checked) return inv.fail(checked.error());
    PrintOptions options = inv.print_options();
    if (!options.structured()) options.format = OutputFormat::Json;
    print_structured(inv.io.out, options, sandbox::to_json(checked->spec));
    return kExitOk;
  }
  if (o.count != 1) {
    if (!o.spec.name.empty()) {
      inv.io.err << "hivectl spawn: --name and --count do not go together (names are unique)\n";
      return kExitUsage;
    }
    if (auto pulled = pull_first(inv, o); !pulled) return inv.fail(pulled.error());
    return spawn_many(inv, o.spec, o.count);
  }
  if (auto pulled = pull_first(inv, o); !pulled) return inv.fail(pulled.error());
  auto client = inv.client();
  auto sb = o.no_wait ? client.spawn_no_wait(o.spec) : client.spawn(o.spec);
  if (!sb) return inv.fail(sb.error());
  if (inv.print_options().structured()) {
    print_sandbox(inv.io.out, inv.print_options(), *sb);
  } else {
    inv.io.out << sb->id << "\n";
  }
  return kExitOk;
}

}  // namespace

void add_spawn(CLI::App& app, Invocation& inv) {
  auto o = std::make_shared<SpawnOptions>();
  auto* cmd = app.add_subcommand("spawn", "Create a sandbox, wait until it runs, print its id");
  cmd->footer(R"(Examples:
  hivectl spawn --image host
  hivectl spawn --image python:3.12         # pulled first when the server lacks it
  ID=$(hivectl spawn --name rollout-1 -l run=42 --memory 512Mi --ttl 10m)
  hivectl spawn -o json
  hivectl spawn --count 100 -l run=42         # 100 at once, one id a line
  ID=$(hivectl spawn --no-wait) && hivectl wait $ID --for=state=Running
  hivectl spawn --memory 2Gi --cpu 1 --dry-run  # the spec as the server takes it, defaults in
  hivectl spawn --mcp-config mcp.json   # stdio MCP servers to bridge, Claude-desktop format:
                                        # {"mcpServers": {"fs": {"command": "...", "args": []}}})");
  cmd->add_option("--image", o->spec.image,
                  "image to run: an OCI reference (python:3.12, ghcr.io/org/img:tag), or 'host' "
                  "(the host's /usr, read-only)")
      ->capture_default_str();
  cmd->add_option("--pull", o->pull, "missing (pull when not on the server), always, never")
      ->check(CLI::IsMember({"missing", "always", "never"}))
      ->capture_default_str();
  cmd->add_option("--name", o->spec.name, "a unique name (DNS label)");
  cmd->add_option("-l,--label", o->labels, "label KEY=VALUE (repeatable)");
  cmd->add_option("-e,--env", o->env, "environment KEY=VALUE (repeatable)");
  cmd->add_option("--workdir", o->spec.workdir, "default directory for commands")
      ->capture_default_str();
  cmd->add_option("--cpu", o->spec.resources.cpu, "CPU limit: cores (2) or millicores (500m)");
  cmd->add_option("--memory", o->spec.resources.memory, "memory limit (512Mi, 2Gi)");
  cmd->add_option("--pids", o->spec.resources.pids, "process limit")->check(CLI::NonNegativeNumber);
  cmd->add_option("--disk", o->spec.resources.disk, "disk limit (1Gi)");
  add_seconds_option(*cmd, "--ttl", o->spec.ttl_seconds,
                     "how long until the sandbox is removed: 600 (seconds), 10m, 2h");
  add_seconds_option(*cmd, "--idle-timeout", o->spec.idle_timeout_seconds,
                     "how long without traffic until it is removed: 300, 5m");
  cmd->add_option("--mcp-config", o->mcp_config,
                  "a JSON file of stdio MCP servers to bridge ({\"mcpServers\": ...}); their "
                  "tools appear as <server>_<tool>");
  cmd->add_option("--port", o->spec.ports, "a port the sandbox serves on (repeatable)")
      ->check(CLI::Range(1, 65535));
  cmd->add_option("--node-selector", o->node_selector,
                  "kubernetes runtime: run on nodes with label KEY=VALUE (repeatable)");
  cmd->add_option("--runtime-class", o->spec.runtime_class,
                  "kubernetes runtime: the Pod's runtimeClassName (gvisor, kata...)");
  cmd->add_flag("--start", o->spec.start,
                "run the image's Entrypoint and Cmd in the background (hivectl ps, logs show it)");
  cmd->add_option("--count", o->count, "how many sandboxes of this spec (ids one a line)")
      ->check(CLI::Range(1, 10000));
  cmd->add_flag(
      "--dry-run", o->dry_run,
      "have the server check the spec (defaults, limits, name) and print it; create nothing");
  cmd->add_flag(
      "--no-wait", o->no_wait,
      "print the id at once, the sandbox still Starting (hivectl wait --for=state=Running)");
  cmd->add_option("--network", o->network, "none (loopback only), host or egress")
      ->check(CLI::IsMember({"none", "host", "egress"}))
      ->capture_default_str();
  cmd->callback([&inv, o] { inv.run = [&inv, o] { return run_spawn(inv, *o); }; });
}

}  // namespace hive::cli
