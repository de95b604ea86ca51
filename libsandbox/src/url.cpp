#include "hive/sandbox/url.hpp"

namespace hive::sandbox {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<std::string> decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      int high = i + 2 < text.size() ? hex_value(text[i + 1]) : -1;
      int low = i + 2 < text.size() ? hex_value(text[i + 2]) : -1;
      if (high < 0 || low < 0) {
        return make_error(Errc::invalid_argument, "malformed percent escape in request target");
      }
      c = static_cast<char>(high * 16 + low);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      c = ' ';
    }
    if (c == '\0') return make_error(Errc::invalid_argument, "NUL byte in request target");
    out.push_back(c);
  }
  return out;
}

}  // namespace

Result<Target> parse_target(std::string_view target) {
  auto question = target.find('?');
  auto path = decode(target.substr(0, question), false);
  if (!path) return path.error();
  if (path->empty() || path->front() != '/') {
    return make_error(Errc::invalid_argument, "request target must start with '/'");
  }
  Target out{std::move(*path), {}};
  if (question == std::string_view::npos) return out;
  std::string_view query = target.substr(question + 1);
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    auto eq = pair.find('=');
    auto key = decode(pair.substr(0, eq), true);
    auto value = decode(eq == std::string_view::npos ? "" : pair.substr(eq + 1), true);
    if (!key) return key.error();
    if (!value) return value.error();
    out.query.emplace(std::move(*key), std::move(*value));
  }
  return out;
}

std::string Target::value(const std::string& key, const std::string& fallback) const {
  auto it = query.find(key);
  return it == query.end() ? fallback : it->second;
}

std::vector<std::string> Target::values(const std::string& key) const {
  std::vector<std::string> out;
  auto [first, last] = query.equal_range(key);
  for (auto it = first; it != last; ++it) out.push_back(it->second);
  return out;
}

std::string percent_encode(std::string_view text, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    bool unreserved = (u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') ||
                      c == '-' || c == '.' || c == '_' || c == '~' || (keep_slash && c == '/');
    if (unreserved) {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    }
  }
  return out;
}

}  // namespace hive::sandbox
