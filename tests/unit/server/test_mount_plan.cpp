#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>

#include "runtime/local/host_root_plan.hpp"

using namespace hive;
using namespace hive::server::local;
using Kind = MountOp::Kind;

namespace {

HostRootPlanInput merged_usr_host() {
  return {"/state/sandboxes/sb-1/root",
          "/state/sandboxes/sb-1/workspace",
          "/state/etc-mask",
          {{"usr", ""},
           {"bin", "usr/bin"},
           {"lib", "usr/lib"},
           {"lib64", "usr/lib64"},
           {"sbin", "usr/sbin"}}};
}

const MountOp* find(const MountPlan& plan, const std::string& target) {
  auto it = std::find_if(plan.ops.begin(), plan.ops.end(),
                         [&](const MountOp& op) { return op.target == target; });
  return it == plan.ops.end() ? nullptr : &*it;
}

}  // namespace

TEST_CASE("the host plan binds system directories read-only", "[unit]") {
  auto plan = host_root_plan(merged_usr_host());
  CHECK(plan.root == "/state/sandboxes/sb-1/root");
  const MountOp* usr = find(plan, "/usr");
  REQUIRE(usr != nullptr);
  CHECK(usr->kind == Kind::Bind);
  CHECK(usr->source == "/usr");
  CHECK(usr->read_only);
  // Merged /usr: /bin is a symlink, as on the host, not a second mount.
  const MountOp* bin = find(plan, "/bin");
  REQUIRE(bin != nullptr);
  CHECK(bin->kind == Kind::Symlink);
  CHECK(bin->source == "usr/bin");
}

TEST_CASE("a host with real /bin gets it bound read-only", "[unit]") {
  auto input = merged_usr_host();
  input.host = {{"usr", ""}, {"bin", ""}};
  auto plan = host_root_plan(input);
  const MountOp* bin = find(plan, "/bin");
  REQUIRE(bin != nullptr);
  CHECK(bin->kind == Kind::Bind);
  CHECK(bin->read_only);
  CHECK(find(plan, "/lib64") == nullptr);  // not on this host, not in the plan
}

TEST_CASE("the host plan never exposes private host paths", "[unit]") {
  auto plan = host_root_plan(merged_usr_host());
  for (const auto& op : plan.ops) {
    if (op.kind != Kind::Bind) continue;
    INFO(op.source);
    CHECK(op.source.rfind("/root", 0) != 0);
    CHECK(op.source.rfind("/home", 0) != 0);
    CHECK((op.source.rfind("/state", 0) != 0 || op.source == "/state/sandboxes/sb-1/workspace"));
    CHECK((op.source != "/" && op.source != "/dev" && op.source != "/etc"));
  }
  const MountOp* etc = find(plan, "/etc");
  REQUIRE(etc != nullptr);
  CHECK(etc->kind == Kind::Overlay);
  CHECK(etc->source == "lowerdir=/state/etc-mask:/etc");
  CHECK(find(plan, "/proc")->kind == Kind::Proc);
  CHECK(find(plan, "/proc/sys")->kind == Kind::ReadOnly);
  CHECK(find(plan, "/tmp")->kind == Kind::Tmpfs);
  CHECK(find(plan, "/workspace")->source == "/state/sandboxes/sb-1/workspace");
  CHECK(find(plan, "/dev/null")->source == "/dev/null");
}

TEST_CASE("the host plan masks /proc as the OCI defaults do and sizes tmpfs by memory", "[unit]") {
  auto input = merged_usr_host();
  auto unlimited = host_root_plan(input);
  for (const char* masked : {"/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/kallsyms",
                             "/proc/acpi", "/proc/scsi"}) {
    INFO(masked);
    REQUIRE(find(unlimited, masked) != nullptr);
    CHECK(find(unlimited, masked)->kind == Kind::Mask);
  }
  for (const char* read_only : {"/proc/irq", "/proc/bus", "/proc/fs", "/proc/sysrq-trigger"}) {
    INFO(read_only);
    REQUIRE(find(unlimited, read_only) != nullptr);
    CHECK(find(unlimited, read_only)->kind == Kind::ReadOnly);
  }
  // Masks come after /proc is mounted, or they would be hidden under it.
  auto index = [](const MountPlan& plan, const std::string& target) {
    return std::find_if(plan.ops.begin(), plan.ops.end(),
                        [&](const MountOp& op) { return op.target == target; }) -
           plan.ops.begin();
  };
  CHECK(index(unlimited, "/proc") < index(unlimited, "/proc/kcore"));
  CHECK(find(unlimited, "/tmp")->data == "mode=1777");

  input.memory_bytes = 256 << 20;
  auto limited = host_root_plan(input);
  CHECK(find(limited, "/tmp")->data == "mode=1777,size=" + std::to_string(192 << 20));
  CHECK(find(limited, "/dev/shm")->data == "mode=1777,size=" + std::to_string(64 << 20));
  auto back = mount_plan_from_json(to_json(limited));
  REQUIRE(back);
  CHECK(back->ops == limited.ops);
}

TEST_CASE("a mount plan survives JSON and refuses escaping targets", "[unit]") {
  auto plan = host_root_plan(merged_usr_host());
  auto back = mount_plan_from_json(to_json(plan));
  REQUIRE(back);
  CHECK(back->root == plan.root);
  CHECK(back->ops == plan.ops);

  auto json = to_json(plan);
  json["ops"][0]["target"] = "/../../etc";
  auto bad = mount_plan_from_json(json);
  REQUIRE_FALSE(bad);
  CHECK_THAT(bad.error().message, Catch::Contains("bad target"));
  json["ops"][0]["target"] = "/x";
  json["ops"][0]["kind"] = "nfs";
  CHECK_FALSE(mount_plan_from_json(json));
}

TEST_CASE("etc secrets include shadow files and ssh host keys", "[unit]") {
  auto secrets = etc_secrets("/etc");
  if (std::filesystem::exists("/etc/shadow")) {
    CHECK(std::find(secrets.begin(), secrets.end(), "shadow") != secrets.end());
  }
  for (const auto& s : secrets) CHECK(s.find(".pub") == std::string::npos);
}

TEST_CASE("a disk limit makes the writable layer one sized tmpfs", "[unit]") {
  auto input = merged_usr_host();
  input.disk_bytes = 8 << 20;
  auto plan = host_root_plan(input);
  REQUIRE(!plan.ops.empty());
  CHECK(plan.ops.front().kind == Kind::Tmpfs);
  CHECK(plan.ops.front().target == "/");
  CHECK_THAT(plan.ops.front().data, Catch::Contains("size=8388608"));
  const MountOp* workspace = find(plan, "/workspace");
  REQUIRE(workspace != nullptr);
  CHECK(workspace->kind == Kind::Mkdir);  // inside the limit, not a bind from the host
}

TEST_CASE("without a disk limit the root is an unsized tmpfs and /workspace the host's", "[unit]") {
  auto plan = host_root_plan(merged_usr_host());
  CHECK(plan.ops.front().kind == Kind::Tmpfs);
  CHECK(plan.ops.front().target == "/");
  CHECK(plan.ops.front().data == "mode=755");
  CHECK(find(plan, "/workspace")->kind == Kind::Bind);
}
