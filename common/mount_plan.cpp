#include "common/mount_plan.hpp"

#include <algorithm>
#include <array>
#include <string_view>

namespace hive {
namespace {

using Kind = MountOp::Kind;

constexpr std::array<std::pair<Kind, std::string_view>, 10> kKindNames{{
    {Kind::Bind, "bind"},
    {Kind::Overlay, "overlay"},
    {Kind::Tmpfs, "tmpfs"},
    {Kind::Proc, "proc"},
    {Kind::Devpts, "devpts"},
    {Kind::Mkdir, "mkdir"},
    {Kind::Symlink, "symlink"},
    {Kind::ReadOnly, "read-only"},
    {Kind::Mask, "mask"},
    {Kind::RootOverlay, "root-overlay"},
}};

// A layer's directory name goes into overlayfs's option string: nothing that string or a path
// would read as a separator.
bool valid_layer_name(const std::string& name) {
  return !name.empty() && name.size() <= 128 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z');
  });
}

}  // namespace

nlohmann::json to_json(const MountPlan& plan) {
  nlohmann::json ops = nlohmann::json::array();
  for (const auto& o : plan.ops) {
    std::string_view kind = "mkdir";
    for (const auto& [k, name] : kKindNames) {
      if (k == o.kind) kind = name;
    }
    ops.push_back({{"kind", kind},
                   {"source", o.source},
                   {"target", o.target},
                   {"data", o.data},
                   {"read_only", o.read_only}});
    if (!o.layers.empty()) ops.back()["layers"] = o.layers;
  }
  return {{"root", plan.root}, {"ops", ops}};
}

Result<MountPlan> mount_plan_from_json(const nlohmann::json& body) {
  try {
    MountPlan plan;
    plan.root = body.at("root").get<std::string>();
    for (const auto& item : body.at("ops")) {
      MountOp o;
      auto kind = item.at("kind").get<std::string>();
      auto found = std::find_if(kKindNames.begin(), kKindNames.end(),
                                [&](const auto& entry) { return entry.second == kind; });
      if (found == kKindNames.end()) {
        return make_error(Errc::invalid_argument, "mount plan: unknown kind '" + kind + "'");
      }
      o.kind = found->first;
      o.source = item.at("source").get<std::string>();
      o.target = item.at("target").get<std::string>();
      o.data = item.at("data").get<std::string>();
      o.read_only = item.at("read_only").get<bool>();
      if (item.contains("layers")) o.layers = item.at("layers").get<std::vector<std::string>>();
      for (const auto& layer : o.layers) {
        if (!valid_layer_name(layer)) {
          return make_error(Errc::invalid_argument, "mount plan: bad layer '" + layer + "'");
        }
      }
      if (o.target.empty() || o.target.front() != '/' || o.target.find("..") != std::string::npos) {
        return make_error(Errc::invalid_argument, "mount plan: bad target '" + o.target + "'");
      }
      plan.ops.push_back(std::move(o));
    }
    return plan;
  } catch (const nlohmann::json::exception& e) {
    return make_error(Errc::invalid_argument, std::string("mount plan: ") + e.what());
  }
}

}  // namespace hive
