// hivectl describe: everything about sandboxes, for people.
#include <chrono>

#include "app.hpp"
#include "printers/printer.hpp"

namespace hive::cli {

void add_describe(CLI::App& app, Invocation& inv) {
  auto ids = std::make_shared<std::vector<std::string>>();
  auto* cmd = app.add_subcommand("describe", "Show everything about sandboxes, for people");
  cmd->footer(R"(Examples:
  hivectl describe sb-4k7q2m9x)");
  cmd->add_option("ID", *ids, "sandbox ids or names")->required();
  cmd->callback([&inv, ids] {
    inv.run = [&inv, ids] {
      auto client = inv.client();
      int code = kExitOk;
      for (std::size_t i = 0; i < ids->size(); ++i) {
        auto sb = client.get((*ids)[i]);
        if (!sb) {
          code = inv.fail(sb.error());
          continue;
        }
        if (i > 0) inv.io.out << "\n";
        describe(inv.io.out, *sb, std::chrono::system_clock::now());
      }
      return code;
    };
  });
}

}  // namespace hive::cli
