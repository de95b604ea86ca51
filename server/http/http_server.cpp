#include "http_server.hpp"

namespace hive::http {

Response make_response(const Request& request, bhttp::status status, std::string body,
                       const char* content_type) {
  Response response{status, request.version()};
  response.set(bhttp::field::server, "hive");
  response.set(bhttp::field::content_type, content_type);
  response.keep_alive(request.keep_alive());
  response.body() = std::move(body);
  return response;
}

}  // namespace hive::http
