#include "images/reference.hpp"

#include <algorithm>
#include <cctype>

namespace hive::server::images {
namespace {

constexpr std::size_t kMaxReference = 255 * 2;  // Docker's limit on a name, with room for a tag

Error invalid(const std::string& text, const std::string& why) {
  return make_error(Errc::invalid_argument,
                    "image '" + text + "' is not a valid reference: " + why);
}

bool lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// One path component: lowercase alphanumerics separated by '.', '_', "__" or any run of '-'.
bool valid_component(const std::string& part) {
  if (part.empty() || !lower_alnum(part.front()) || !lower_alnum(part.back())) return false;
  for (std::size_t i = 0; i < part.size(); ++i) {
    char c = part[i];
    if (lower_alnum(c)) continue;
    if (c == '-') continue;
    if (c != '.' && c != '_') return false;
    char next = part[i + 1];  // in range: the last character is alphanumeric
    if (c == '_' && next == '_' && i + 2 < part.size() && lower_alnum(part[i + 2])) {
      ++i;
      continue;
    }
    if (!lower_alnum(next)) return false;
  }
  return true;
}

// A host ("ghcr.io", "localhost", "[::1]") with an optional port.
bool valid_domain(const std::string& domain) {
  if (domain.empty()) return false;
  return std::all_of(domain.begin(), domain.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' ||
           c == '[' || c == ']';
  });
}

bool valid_tag(const std::string& tag) {
  if (tag.empty() || tag.size() > 128) return false;
  auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  if (!word(tag.front())) return false;
  return std::all_of(tag.begin(), tag.end(),
                     [&](char c) { return word(c) || c == '.' || c == '-'; });
}

}  // namespace

bool is_sha256_digest(const std::string& digest) {
  if (digest.size() != 71 || digest.compare(0, 7, "sha256:") != 0) return false;
  return std::all_of(digest.begin() + 7, digest.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

std::string ImageRef::canonical() const {
  std::string name = domain + "/" + repository;
  return digest.empty() ? name + ":" + tag : name + "@" + digest;
}

Result<ImageRef> parse_reference(const std::string& text) {
  if (text.empty()) return invalid(text, "it is empty");
  if (text.size() > kMaxReference) return invalid(text.substr(0, 40) + "...", "it is too long");
  ImageRef ref;
  std::string rest = text;
  if (auto at = rest.find('@'); at != std::string::npos) {
    ref.digest = rest.substr(at + 1);
    rest.resize(at);
    if (!is_sha256_digest(ref.digest)) {
      return invalid(text, "the digest must be sha256: and 64 lowercase hex digits");
    }
  }
  // A tag follows the last ':' after the last '/' ("host:5000/x" has a port, not a tag).
  auto slash = rest.rfind('/');
  auto colon = rest.rfind(':');
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
    ref.tag = rest.substr(colon + 1);
    rest.resize(colon);
    if (!valid_tag(ref.tag)) return invalid(text, "tag '" + ref.tag + "' is not valid");
  }
  // The first part is a registry when it looks like a host: a dot, a port, or localhost.
  auto first_slash = rest.find('/');
  std::string first = rest.substr(0, first_slash);
  if (first_slash != std::string::npos &&
      (first.find_first_of(".:[") != std::string::npos || first == "localhost" ||
       std::any_of(first.begin(), first.end(),
                   [](char c) { return std::isupper(static_cast<unsigned char>(c)) != 0; }))) {
    ref.domain = first;
    rest = rest.substr(first_slash + 1);
    if (!valid_domain(ref.domain))
      return invalid(text, "registry '" + ref.domain + "' is not valid");
  } else {
    ref.domain = "docker.io";
  }
  if (ref.domain == "index.docker.io" || ref.domain == "registry-1.docker.io") {
    ref.domain = "docker.io";
  }
  if (ref.domain == "docker.io" && rest.find('/') == std::string::npos) rest = "library/" + rest;
  std::size_t start = 0;
  while (true) {
    auto end = rest.find('/', start);
    std::string part = rest.substr(start, end == std::string::npos ? end : end - start);
    if (!valid_component(part)) {
      return invalid(text, part.empty() ? "a name part is empty"
                                        : "'" + part +
                                              "' must be lowercase letters, digits and "
                                              "separators (. _ -)");
    }
    if (end == std::string::npos) break;
    start = end + 1;
  }
  ref.repository = rest;
  if (ref.tag.empty() && ref.digest.empty()) ref.tag = "latest";
  // The limit holds for the name as stored and sent too (":latest" and "docker.io/" added).
  if (ref.canonical().size() > kMaxReference)
    return invalid(text.substr(0, 40) + "...", "it is too long");
  return ref;
}

}  // namespace hive::server::images
