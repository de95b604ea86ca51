// One log line per request (method, path, status, duration, request id), as text or, with
// --log-format json, one JSON object per line; every other server log line follows the same
// format so a log shipper sees one shape.
#pragma once

#include <string>
#include <string_view>

namespace hive::server {

enum class LogFormat { Text, Json };

// Installs the format on spdlog's default logger.
void set_log_format(LogFormat format);

struct RequestLine {
  std::string_view request_id;
  std::string_view method;
  std::string_view target;
  unsigned status = 0;
  double milliseconds = 0;
  bool stream = false;  // the duration is the whole stream's
};

void log_request(const RequestLine& line);

// The client's X-Request-Id when it is a sane one (≤ 64 of [A-Za-z0-9._-]), else a new id.
std::string request_id(std::string_view from_client);

}  // namespace hive::server
