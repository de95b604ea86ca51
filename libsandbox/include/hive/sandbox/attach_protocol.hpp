// The attach WebSocket's framing (docs/api.md), shared by hive-agent and libsandbox: each
// binary message starts with a channel byte, as in Kubernetes' v5.channel.k8s.io.
#pragma once

namespace hive::sandbox {

enum AttachChannel : unsigned char {
  kAttachStdin = 0,
  kAttachStdout = 1,
  kAttachStderr = 2,
  kAttachStatus = 3,   // JSON {"exit_code", "signal"}, the last message before the close
  kAttachResize = 4,   // JSON {"cols", "rows"}
  kAttachClose = 255,  // closes the channel in the next byte: 255 0 is stdin EOF
};

}  // namespace hive::sandbox
