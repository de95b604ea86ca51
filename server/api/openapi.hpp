// The API's OpenAPI 3 description (server/api/openapi.json, compiled in), served at
// /openapi.json; schemathesis tests the server against it in the suite.
#pragma once

#include <string_view>

namespace hive::server {

std::string_view openapi_json();

}  // namespace hive::server
