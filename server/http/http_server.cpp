#include "http_server.hpp"

#include "hive/sandbox/codec.hpp"

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

std::string rejection_body(beast::error_code ec, bool too_large) {
  Error error{too_large ? Errc::payload_too_large : Errc::invalid_argument,
              "bad HTTP request: " + ec.message()};
  return sandbox::to_json(error).dump();
}

}  // namespace hive::http
