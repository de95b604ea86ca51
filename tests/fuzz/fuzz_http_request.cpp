// HTTP request handling up to the handlers: Beast's parser with the server's limits, then
// routing, credentials (Bearer, Basic, sandbox tokens) and the body decoders a route uses.
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "api/auth.hpp"
#include "api/router.hpp"
#include "api/seed_api.hpp"
#include "hive/sandbox/codec.hpp"

namespace http = boost::beast::http;
using namespace hive::server;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Authenticator auth("fuzz-admin-token-0123456789abcdef");
  http::request_parser<http::string_body> parser;
  parser.header_limit(16 << 10);
  parser.body_limit(1 << 20);
  parser.eager(true);
  boost::beast::error_code ec;
  parser.put(boost::asio::buffer(data, size), ec);
  if (ec || !parser.is_header_done()) return 0;
  const auto& request = parser.get();
  Route r = route(request.method(), request.target());
  for (auto schemes : {Schemes::BearerOnly, Schemes::BearerOrBasic}) {
    auto grant = auth.check(request[http::field::authorization], schemes);
    if (grant && grant->admin) __builtin_trap();  // nobody guesses the admin token
  }
  if (!parser.is_done()) return 0;
  if (auto body = hive::sandbox::parse_json(request.body()); body) {
    if (r.kind == RouteKind::Spawn) (void)hive::sandbox::spec_from_json(*body);
    if (r.kind == RouteKind::SeedSpawn) (void)seed_spawn_spec(*body);
    if (r.kind == RouteKind::Agent) (void)hive::sandbox::exec_request_from_json(*body);
  }
  return 0;
}
