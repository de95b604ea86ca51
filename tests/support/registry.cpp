#include "registry.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <stdexcept>
#include <vector>

namespace hive::test {
namespace {

std::string script(const std::string& name) {
  return std::string(HIVE_SOURCE_DIR) + "/tests/images/" + name;
}

// A port nothing listens on now. Another process may take it before the registry does; the
// constructor then tries again with another.
std::string free_port() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    close(fd);
    throw std::runtime_error("cannot find a free port");
  }
  close(fd);
  return std::to_string(ntohs(addr.sin_port));
}

const char* kind_name(TestRegistry::Auth auth) {
  switch (auth) {
    case TestRegistry::Auth::basic:
      return "basic";
    case TestRegistry::Auth::token:
      return "token";
    case TestRegistry::Auth::open:
      break;
  }
  return "open";
}

std::size_t count(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

}  // namespace

std::string test_images_dir() {
  static std::once_flag once;
  static std::string dir;
  std::call_once(once, [] {
    const char* chosen = std::getenv("HIVE_TEST_IMAGES_DIR");
    const char* home = std::getenv("HOME");
    std::string path =
        chosen && *chosen ? chosen : std::string(home ? home : "/tmp") + "/.cache/hive/test-images";
    auto built = run({"/bin/bash", script("make-test-images.sh"), path});
    if (built.exit_code != 0) {
      throw std::runtime_error("tests/images/make-test-images.sh failed:\n" + built.err);
    }
    dir = path;
  });
  return dir;  // a build that threw is tried again by the next caller
}

std::string python_image_archive() {
  static std::once_flag once;
  static std::string archive;
  std::call_once(once, [] {
    const char* chosen = std::getenv("HIVE_TEST_IMAGES_DIR");
    const char* home = std::getenv("HOME");
    std::string dir = chosen && *chosen
                          ? std::string(chosen) + "/../python-image"
                          : std::string(home ? home : "/tmp") + "/.cache/hive/python-image";
    auto built = run({"/bin/bash", script("make-python-image.sh"), dir});
    if (built.exit_code != 0) {
      throw std::runtime_error("tests/images/make-python-image.sh failed:\n" + built.err);
    }
    archive = dir + "/python-oci.tar";
  });
  return archive;
}

TestRegistry::TestRegistry(Auth auth) : auth_(auth) {
  std::string images = test_images_dir();
  // A copy, not hard links: the registry rewrites some of its files in place.
  auto copied = run({"/bin/cp", "-a", images + "/registry", storage_dir()});
  if (copied.exit_code != 0) throw std::runtime_error("cannot copy the registry: " + copied.err);
  std::string err;
  for (int attempt = 0; attempt < 3; ++attempt) {
    std::string port = free_port();
    issuer_port_ = free_port();
    auto started = run({"/bin/bash", script("registry.sh"), "start", kind_name(auth_), port,
                        dir_.path(), issuer_port_},
                       "", {"HIVE_REGISTRY_OWNER=" + std::to_string(getpid())});
    if (started.exit_code == 0) {
      host_ = trim(started.out);
      return;
    }
    err = started.err;
    run({"/bin/bash", script("registry.sh"), "stop", dir_.path()});
    // Only a port taken meanwhile is worth another try.
    if (err.find("address already in use") == std::string::npos) break;
  }
  throw std::runtime_error(std::string("the test registry (") + kind_name(auth_) +
                           ") did not start:\n" + err);
}

TestRegistry::~TestRegistry() {
  auto stopped = run({"/bin/bash", script("registry.sh"), "stop", dir_.path()});
  if (stopped.exit_code != 0) {
    std::fprintf(stderr, "stopping the test registry failed: %s\n", stopped.err.c_str());
  }
}

std::string TestRegistry::storage_dir() const { return dir_.path() + "/storage"; }
std::string TestRegistry::log() const { return slurp(dir_.path() + "/access.log"); }
std::string TestRegistry::error_log() const { return slurp(dir_.path() + "/registry.log"); }
std::string TestRegistry::issuer_log() const { return slurp(dir_.path() + "/issuer.log"); }

std::string TestRegistry::token_realm() const {
  return auth_ == Auth::token ? "http://127.0.0.1:" + issuer_port_ + "/token" : "";
}

int TestRegistry::blob_gets(const std::string& digest) const {
  // Access log lines read "GET /v2/<repository>/blobs/<digest> HTTP/1.1"; HEAD requests and
  // other methods do not count.
  std::string text = log();
  int n = 0;
  std::size_t start = 0;
  for (std::size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1) {
    std::string line = text.substr(start, nl - start);
    if (line.find("\"GET /v2/") != std::string::npos &&
        count(line, "/blobs/" + digest + " HTTP/") == 1) {
      ++n;
    }
  }
  return n;
}

void TestRegistry::corrupt_blob(const std::string& digest, const std::string& replacement) const {
  std::vector<std::string> argv{"/bin/bash", script("corrupt-blob.sh"), storage_dir(), digest};
  if (!replacement.empty()) argv.push_back(replacement);
  auto out = run(argv);
  if (out.exit_code != 0) throw std::runtime_error("corrupt-blob.sh: " + out.err);
}

}  // namespace hive::test
