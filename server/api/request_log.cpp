#include "api/request_log.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <nlohmann/json.hpp>

#include "common/ids.hpp"

namespace hive::server {
namespace {

std::atomic<LogFormat> g_format{LogFormat::Text};

// {"time": ..., "level": ..., then the message's own fields when it is a JSON object (a request
// line), else "msg": the text}.
class JsonFormatter : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    std::string_view payload(msg.payload.data(), msg.payload.size());
    std::string line = "{\"time\":\"" + to_rfc3339(msg.time) + "\",\"level\":\"" +
                       std::string(spdlog::level::to_string_view(msg.level).data(),
                                   spdlog::level::to_string_view(msg.level).size()) +
                       "\",";
    if (!payload.empty() && payload.front() == '{') {
      line.append(payload.substr(1));
    } else {
      line += "\"msg\":" +
              nlohmann::json(std::string(payload))
                  .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
              "}";
    }
    line += "\n";
    dest.append(line.data(), line.data() + line.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }
};

bool sane_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') {
      return false;
    }
  }
  return true;
}

}  // namespace

void set_log_format(LogFormat format) {
  g_format = format;
  if (format == LogFormat::Json) spdlog::set_formatter(std::make_unique<JsonFormatter>());
}

void log_request(const RequestLine& line) {
  if (g_format == LogFormat::Json) {
    nlohmann::json fields{{"request_id", line.request_id},
                          {"method", line.method},
                          {"path", line.target},
                          {"status", line.status},
                          {"duration_ms", line.milliseconds}};
    if (line.stream) fields["stream"] = true;
    spdlog::info(fields.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    return;
  }
  spdlog::info("req={} {} {} {} {:.3f}ms{}", line.request_id, line.method, line.target, line.status,
               line.milliseconds, line.stream ? " (stream)" : "");
}

std::string request_id(std::string_view from_client) {
  if (sane_id(from_client)) return std::string(from_client);
  // A per-process prefix keeps ids apart across restarts and replicas.
  static const std::string prefix = new_secret().substr(0, 8);
  static std::atomic<std::uint64_t> next{1};
  return prefix + "-" + std::to_string(next.fetch_add(1));
}

}  // namespace hive::server
