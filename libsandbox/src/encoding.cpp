// Pure helpers behind codec.hpp: validators, quantities, UTF-8 and base64.
#include <array>
#include <cctype>
#include <cstdint>
#include <limits>

#include "fields.hpp"
#include "hive/sandbox/codec.hpp"

namespace hive::sandbox {
namespace {

using detail::invalid;

bool is_alnum_lower(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool is_alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

// Splits "512Mi" into 512 and "Mi"; rejects signs, spaces and fractions.
bool split_quantity(std::string_view text, std::int64_t& number, std::string_view& suffix) {
  std::size_t i = 0;
  number = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
    if (number > (std::numeric_limits<std::int64_t>::max() - 9) / 10) return false;
    number = number * 10 + (text[i] - '0');
    ++i;
  }
  if (i == 0) return false;
  suffix = text.substr(i);
  return true;
}

constexpr std::string_view kBase64 =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

}  // namespace

Result<void> validate_dns_label(std::string_view what, std::string_view value) {
  bool ok = !value.empty() && value.size() <= 63 && is_alnum_lower(value.front()) &&
            is_alnum_lower(value.back());
  for (char c : value) ok = ok && (is_alnum_lower(c) || c == '-');
  if (ok) return {};
  return invalid(std::string(what) + " '" + std::string(value) +
                 "' is not a DNS-1123 label (lower-case letters, digits and '-', at most 63, "
                 "starting and ending with a letter or digit)");
}

Result<void> validate_label_key(std::string_view key) {
  std::string_view name = key;
  if (auto slash = key.rfind('/'); slash != std::string_view::npos) name = key.substr(slash + 1);
  bool ok = !name.empty() && name.size() <= 63 && key.size() <= 253 && is_alnum(name.front()) &&
            is_alnum(name.back());
  for (char c : key) ok = ok && (is_alnum(c) || c == '-' || c == '_' || c == '.' || c == '/');
  if (ok) return {};
  return invalid("label key '" + std::string(key) +
                 "' is invalid (letters, digits, '-', '_', '.', an optional 'prefix/', at most "
                 "63 characters, starting and ending with a letter or digit)");
}

Result<void> validate_label_value(std::string_view key, std::string_view value) {
  bool ok =
      value.size() <= 63 && (value.empty() || (is_alnum(value.front()) && is_alnum(value.back())));
  for (char c : value) ok = ok && (is_alnum(c) || c == '-' || c == '_' || c == '.');
  if (ok) return {};
  return invalid("label '" + std::string(key) + "' has an invalid value '" + std::string(value) +
                 "' (at most 63 letters, digits, '-', '_' or '.')");
}

Result<std::int64_t> parse_byte_quantity(std::string_view text) {
  static constexpr std::array<std::pair<std::string_view, std::int64_t>, 9> kUnits{{
      {"", 1},
      {"k", 1000},
      {"M", 1000 * 1000},
      {"G", 1000LL * 1000 * 1000},
      {"T", 1000LL * 1000 * 1000 * 1000},
      {"Ki", 1024},
      {"Mi", 1024 * 1024},
      {"Gi", 1024LL * 1024 * 1024},
      {"Ti", 1024LL * 1024 * 1024 * 1024},
  }};
  std::int64_t number = 0;
  std::string_view suffix;
  if (split_quantity(text, number, suffix)) {
    for (const auto& [unit, factor] : kUnits) {
      if (unit != suffix) continue;
      if (number > std::numeric_limits<std::int64_t>::max() / factor) break;
      return number * factor;
    }
  }
  return invalid("'" + std::string(text) +
                 "' is not a byte quantity (a whole number with an optional k, M, G, T, Ki, Mi, "
                 "Gi or Ti suffix, e.g. 512Mi)");
}

Result<std::int64_t> parse_cpu_millis(std::string_view text) {
  std::int64_t number = 0;
  std::string_view suffix;
  // Cores with up to three decimals (0.5, 1.25: docker's --cpus habit, and a Kubernetes
  // quantity too) are read as millicores.
  if (auto dot = text.find('.'); dot != std::string_view::npos && dot > 0) {
    auto fraction = text.substr(dot + 1);
    std::int64_t cores = 0, thousandths = 0;
    std::string_view rest;
    const bool digits = !fraction.empty() && fraction.size() <= 3 &&
                        fraction.find_first_not_of("0123456789") == std::string_view::npos;
    if (digits && split_quantity(text.substr(0, dot), cores, rest) && rest.empty() &&
        cores < 1'000'000) {
      for (std::size_t i = 0; i < 3; ++i)
        thousandths = thousandths * 10 + (i < fraction.size() ? fraction[i] - '0' : 0);
      if (cores * 1000 + thousandths > 0) return cores * 1000 + thousandths;
    }
  } else if (split_quantity(text, number, suffix) && number > 0 && number < 1'000'000'000) {
    if (suffix.empty()) return number * 1000;
    if (suffix == "m") return number;
  }
  return invalid("'" + std::string(text) +
                 "' is not a CPU quantity (cores like 2 or 0.5, or millicores like 500m)");
}

bool is_valid_utf8(std::string_view bytes) {
  std::size_t i = 0;
  while (i < bytes.size()) {
    auto c = static_cast<unsigned char>(bytes[i]);
    int extra = 0;
    std::uint32_t code = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      extra = 1, code = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2, code = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3, code = c & 0x07;
    } else {
      return false;
    }
    if (i + extra >= bytes.size()) return false;
    for (int k = 1; k <= extra; ++k) {
      auto cc = static_cast<unsigned char>(bytes[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      code = (code << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    static constexpr std::array<std::uint32_t, 4> kMin{0, 0x80, 0x800, 0x10000};
    if (code < kMin[extra] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return false;
    i += extra + 1;
  }
  return true;
}

std::size_t utf8_boundary(std::string_view bytes) {
  const std::size_t size = bytes.size();
  for (std::size_t back = 1; back <= 4 && back <= size; ++back) {
    auto c = static_cast<unsigned char>(bytes[size - back]);
    if ((c & 0xC0) == 0x80) continue;  // a continuation byte: look further back
    std::size_t needed = (c & 0xE0) == 0xC0   ? 2
                         : (c & 0xF0) == 0xE0 ? 3
                         : (c & 0xF8) == 0xF0 ? 4
                                              : 1;
    return needed > back ? size - back : size;
  }
  return size;
}

std::string base64_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    std::uint32_t n = (static_cast<unsigned char>(bytes[i]) << 16) |
                      (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                      static_cast<unsigned char>(bytes[i + 2]);
    for (int shift : {18, 12, 6, 0}) out += kBase64[(n >> shift) & 0x3F];
  }
  std::size_t rest = bytes.size() - i;
  if (rest > 0) {
    std::uint32_t n = static_cast<unsigned char>(bytes[i]) << 16;
    if (rest == 2) n |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out += kBase64[(n >> 18) & 0x3F];
    out += kBase64[(n >> 12) & 0x3F];
    out += rest == 2 ? kBase64[(n >> 6) & 0x3F] : '=';
    out += '=';
  }
  return out;
}

Result<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return invalid("base64 text length is not a multiple of 4");
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    std::uint32_t n = 0;
    int pad = 0;
    for (std::size_t k = 0; k < 4; ++k) {
      char c = text[i + k];
      std::size_t v = 0;
      if (c == '=' && i + 4 == text.size() && k >= 2) {
        ++pad;
      } else if (pad > 0 || (v = kBase64.find(c)) == std::string_view::npos) {
        return invalid("invalid base64 at offset " + std::to_string(i + k));
      }
      n = (n << 6) | static_cast<std::uint32_t>(v);
    }
    out += static_cast<char>((n >> 16) & 0xFF);
    if (pad < 2) out += static_cast<char>((n >> 8) & 0xFF);
    if (pad < 1) out += static_cast<char>(n & 0xFF);
  }
  return out;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ (i < b.size() ? b[i] : 0));
  }
  return diff == 0;
}

}  // namespace hive::sandbox
