#include <catch2/catch.hpp>

#include "repl.hpp"

using namespace hive::cli;
using Words = std::vector<std::string>;

TEST_CASE("the shell splits words as sh does", "[unit]") {
  CHECK(*split_words("  ls   -la  ") == Words{"ls", "-la"});
  CHECK(*split_words(R"(:mcp call run_command --arg 'command=ls -la' --arg x="a \"b\"")") ==
        Words{":mcp", "call", "run_command", "--arg", "command=ls -la", "--arg", "x=a \"b\""});
  CHECK(*split_words(R"(a\ b '' c)") == Words{"a b", "", "c"});
  CHECK(split_words("").value().empty());
  CHECK_FALSE(split_words("echo 'open"));
}

TEST_CASE("':' lines get the sandbox in use where the verb takes one", "[unit]") {
  CHECK(repl_command({"ps"}, "sb-1") == Words{"ps", "sb-1"});
  CHECK(repl_command({"logs", "-f", "7"}, "sb-1") == Words{"logs", "sb-1", "-f", "7"});
  CHECK(repl_command({"mcp", "call", "t", "--arg", "a=1"}, "sb-1") ==
        Words{"mcp", "call", "sb-1", "t", "--arg", "a=1"});
  CHECK(repl_command({"cp", "f", ":/w/f"}, "sb-1") == Words{"cp", "f", "sb-1:/w/f"});
  CHECK(repl_command({"list", "-o", "name"}, "sb-1") == Words{"list", "-o", "name"});
  CHECK(repl_command({"ps"}, "") == Words{"ps"});
}
