#include <catch2/catch.hpp>

#include "api/router.hpp"
#include "common/mount_plan.hpp"
#include "images/image_store.hpp"
#include "images/reference.hpp"
#include "runtime/local/host_root_plan.hpp"

using namespace hive;
using namespace hive::server;
using namespace hive::server::images;

namespace {

std::string canonical(const std::string& text) {
  auto ref = parse_reference(text);
  return ref ? ref->canonical() : "error: " + ref.error().message;
}

const std::string kDigest = "sha256:" + std::string(64, 'a');

}  // namespace

TEST_CASE("image references read as Docker reads them", "[unit]") {
  CHECK(canonical("ubuntu") == "docker.io/library/ubuntu:latest");
  CHECK(canonical("python:3.12") == "docker.io/library/python:3.12");
  CHECK(canonical("org/img") == "docker.io/org/img:latest");
  CHECK(canonical("index.docker.io/library/ubuntu:22.04") == "docker.io/library/ubuntu:22.04");
  CHECK(canonical("ghcr.io/org/img:tag") == "ghcr.io/org/img:tag");
  CHECK(canonical("localhost/x") == "localhost/x:latest");
  CHECK(canonical("127.0.0.1:5000/x/y") == "127.0.0.1:5000/x/y:latest");
  CHECK(canonical("127.0.0.1:5000/x/y@" + kDigest) == "127.0.0.1:5000/x/y@" + kDigest);
  CHECK(canonical("x/y:tag@" + kDigest) == "docker.io/x/y@" + kDigest);
  auto ref = parse_reference("host:5000/a/b:v1");
  REQUIRE(ref);
  CHECK(ref->domain == "host:5000");
  CHECK(ref->repository == "a/b");
  CHECK(ref->reference() == "v1");
}

TEST_CASE("invalid references are refused with the part at fault", "[unit]") {
  CHECK_THAT(canonical(""), Catch::Contains("it is empty"));
  CHECK_THAT(canonical("Ubuntu"), Catch::Contains("'Ubuntu' must be lowercase"));
  CHECK_THAT(canonical("a//b"), Catch::Contains("a name part is empty"));
  CHECK_THAT(canonical("x:bad tag"), Catch::Contains("tag 'bad tag' is not valid"));
  CHECK_THAT(canonical("x@sha256:123"), Catch::Contains("64 lowercase hex"));
  CHECK_THAT(canonical("x@md5:" + std::string(32, 'a')), Catch::Contains("sha256"));
  CHECK_THAT(canonical("../../etc"), Catch::Contains("must be lowercase"));
  CHECK_THAT(canonical(std::string(600, 'a')), Catch::Contains("too long"));
  // Short enough as typed, too long once "docker.io/library/" and ":latest" are added.
  CHECK_THAT(canonical(std::string(500, 'a')), Catch::Contains("too long"));
}

TEST_CASE("an image's config gives env, workdir, user, entrypoint and cmd", "[unit]") {
  auto config = config_from_json(nlohmann::json::parse(R"({"config": {
      "Env": ["PATH=/bin", 7], "WorkingDir": "/app", "User": "app:staff",
      "Entrypoint": ["/bin/sh", "-c"], "Cmd": null}})"));
  CHECK(config.env == std::vector<std::string>{"PATH=/bin"});
  CHECK(config.workdir == "/app");
  CHECK(config.user == "app:staff");
  CHECK(config.entrypoint == std::vector<std::string>{"/bin/sh", "-c"});
  CHECK(config.cmd.empty());
  CHECK(config_from_json(nlohmann::json::parse(R"({"config": "x"})")).env.empty());
}

TEST_CASE("image routes take references with slashes", "[unit]") {
  using boost::beast::http::verb;
  CHECK(route(verb::get, "/v1/images").kind == RouteKind::ListImages);
  CHECK(route(verb::post, "/v1/images/pull?image=python:3.12").kind == RouteKind::PullImage);
  CHECK(route(verb::post, "/v1/images/prune").kind == RouteKind::PruneImages);
  auto get = route(verb::get, "/v1/images/ghcr.io/org/img:tag");
  CHECK(get.kind == RouteKind::GetImage);
  CHECK(get.id == "ghcr.io/org/img:tag");
  auto escaped = route(verb::delete_, "/v1/images/127.0.0.1%3A5000%2Fx%2Fy%3A1");
  CHECK(escaped.kind == RouteKind::DeleteImage);
  CHECK(escaped.id == "127.0.0.1:5000/x/y:1");
  CHECK(route(verb::put, "/v1/images").kind == RouteKind::MethodNotAllowed);
}

TEST_CASE("an image's plan: its layers under a writable upper, then the sandbox's mounts",
          "[unit]") {
  local::ImageRootPlanInput input{
      {"/state/rootfs", "/state/sandboxes/sb-1/workspace", "", {}, 1 << 30},
      "/state/images/layers",
      {"cc", "bb", "aa"},
      "/state/sandboxes/sb-1"};
  auto plan = local::image_root_plan(input);
  REQUIRE(plan);
  const MountOp& root = plan->ops.front();
  CHECK(root.kind == MountOp::Kind::RootOverlay);
  CHECK(root.source == "/state/images/layers");
  CHECK(root.layers == std::vector<std::string>{"cc", "bb", "aa"});
  CHECK(root.data == "mode=755,size=1073741824");
  auto has = [&](MountOp::Kind kind, const std::string& target) {
    return std::any_of(plan->ops.begin(), plan->ops.end(),
                       [&](const MountOp& op) { return op.kind == kind && op.target == target; });
  };
  CHECK(has(MountOp::Kind::Proc, "/proc"));
  CHECK(has(MountOp::Kind::Bind, "/etc/hosts"));
  CHECK(has(MountOp::Kind::Bind, "/etc/resolv.conf"));
  CHECK(has(MountOp::Kind::Mkdir, "/workspace"));  // inside the size-limited upper
  // The plan travels as JSON; a layer name that could split overlayfs's options is refused.
  auto round = mount_plan_from_json(to_json(*plan));
  REQUIRE(round);
  CHECK(round->ops == plan->ops);
  auto json = to_json(*plan);
  json["ops"][0]["layers"][0] = "aa,upperdir=/";
  CHECK_FALSE(mount_plan_from_json(json));
  input.layers.assign(100, std::string(64, 'a'));
  auto too_many = local::image_root_plan(input);
  REQUIRE_FALSE(too_many);
  CHECK_THAT(too_many.error().message, Catch::Contains("100 layers cannot be mounted"));
}
