#include "app.hpp"

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  return hive::cli::run_hivectl(argc, argv, {});
}
