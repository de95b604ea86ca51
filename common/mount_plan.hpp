// The mount plan of a local sandbox (bubblewrap's idea): the server builds a list of MountOps
// as data (server/runtime/local/host_root_plan.hpp) and hive-agent applies it inside the
// sandbox's fresh mount namespace before pivot_root. This header is the contract between the
// two: the types and their JSON. Targets are paths inside the sandbox.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hive/error.hpp"

namespace hive {

struct MountOp {
  enum class Kind {
    Bind,         // bind source onto target (creating target as file or dir like the source)
    Overlay,      // read-only overlay; source holds the "lowerdir=..." list
    Tmpfs,        // fresh tmpfs; data holds options such as "mode=1777"
    Proc,         // fresh procfs (the sandbox's own pid namespace)
    Devpts,       // a private devpts instance
    Mkdir,        // an empty directory
    Symlink,      // target -> source
    ReadOnly,     // make what is mounted at target read-only (skipped if target does not exist)
    Mask,         // hide target: /dev/null over a file, an empty read-only tmpfs over a directory
                  // (skipped if target does not exist)
    RootOverlay,  // the root is an overlay of `layers` (directories under source, top first)
                  // beneath a writable tmpfs upper with options data; first op, target "/"
  };
  Kind kind = Kind::Mkdir;
  std::string source;
  std::string target;
  std::string data;
  bool read_only = false;
  std::vector<std::string> layers;  // RootOverlay: names of layer directories in source

  bool operator==(const MountOp&) const = default;
};

struct MountPlan {
  std::string root;  // host path that becomes the sandbox's /
  std::vector<MountOp> ops;
};

nlohmann::json to_json(const MountPlan& plan);
Result<MountPlan> mount_plan_from_json(const nlohmann::json& body);

}  // namespace hive
