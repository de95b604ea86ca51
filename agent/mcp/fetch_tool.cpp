// The built-in `fetch` tool: one HTTP(S) request from inside the sandbox (so it sees the
// sandbox's network: none, host or egress), following up to 5 redirects, the body capped.
// TLS is verified against the image's CA bundle, with SNI.
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "common/http/http_server.hpp"
#include "tools.hpp"

namespace hive::agent::mcp {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using http::use_tuple;

constexpr std::int64_t kDefaultBytes = 1 << 20, kMaxBytes = 16 << 20;
constexpr std::int64_t kDefaultSeconds = 30, kMaxSeconds = 300;
constexpr int kMaxRedirects = 5;

struct Url {
  bool tls = false;
  std::string host, port, target;
};

Result<Url> parse_url(const std::string& text) {
  Url url;
  std::string_view rest = text;
  if (rest.rfind("http://", 0) == 0) {
    rest.remove_prefix(7);
  } else if (rest.rfind("https://", 0) == 0) {
    rest.remove_prefix(8);
    url.tls = true;
  } else {
    return make_error(Errc::invalid_argument, "'" + text + "' is not an http:// or https:// URL");
  }
  auto slash = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, slash);
  url.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (url.target.front() != '/') url.target.insert(0, "/");
  if (auto hash = url.target.find('#'); hash != std::string::npos) url.target.resize(hash);
  if (authority.find('@') != std::string_view::npos) {
    return make_error(Errc::invalid_argument, "credentials in a URL are not supported");
  }
  auto colon = authority.rfind(':');
  if (colon != std::string_view::npos && authority.find(']', colon) == std::string_view::npos) {
    url.port = std::string(authority.substr(colon + 1));
    authority = authority.substr(0, colon);
  } else {
    url.port = url.tls ? "443" : "80";
  }
  if (authority.size() > 2 && authority.front() == '[')
    authority = authority.substr(1, authority.size() - 2);
  url.host = std::string(authority);
  if (url.host.empty() || url.port.empty() ||
      url.port.find_first_not_of("0123456789") != std::string::npos) {
    return make_error(Errc::invalid_argument, "'" + text + "' has no usable host and port");
  }
  return url;
}

struct FetchOptions {
  bhttp::verb method = bhttp::verb::get;
  std::map<std::string, std::string> headers;
  std::string body;
  std::int64_t max_bytes = kDefaultBytes;
  std::chrono::seconds timeout{kDefaultSeconds};
};

using Response = bhttp::response<bhttp::string_body>;
struct Fetched {
  Response response;
  bool truncated = false;
};

template <class Stream>
asio::awaitable<Result<Fetched>> round_trip(Stream& stream, const Url& url,
                                            const FetchOptions& options) {
  bhttp::request<bhttp::string_body> request{options.method, url.target, 11};
  request.set(bhttp::field::host, url.host);
  request.set(bhttp::field::user_agent, "hive-agent fetch");
  request.set(bhttp::field::connection, "close");
  for (const auto& [name, value] : options.headers) request.set(name, value);
  if (!options.body.empty()) {
    request.body() = options.body;
    request.prepare_payload();
  }
  auto [wec, wn] = co_await bhttp::async_write(stream, request, use_tuple);
  if (wec) co_return make_error(Errc::unavailable, "sending to " + url.host + ": " + wec.message());
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(static_cast<std::uint64_t>(options.max_bytes));
  if (options.method == bhttp::verb::head) parser.skip(true);
  auto [rec, rn] = co_await bhttp::async_read(stream, buffer, parser, use_tuple);
  Fetched out;
  if (rec == bhttp::error::body_limit) {
    out.truncated = true;
  } else if (rec && rec != bhttp::error::end_of_stream) {
    co_return make_error(Errc::unavailable, "reading from " + url.host + ": " + rec.message());
  }
  out.response = parser.release();
  co_return out;
}

asio::awaitable<Result<Fetched>> fetch_once(asio::io_context& io, const Url& url,
                                            const FetchOptions& options, ToolCall& call) {
  asio::ip::tcp::resolver resolver(io);
  auto [rec, endpoints] = co_await resolver.async_resolve(url.host, url.port, use_tuple);
  if (rec) {
    co_return make_error(Errc::unavailable, "cannot resolve " + url.host + ": " + rec.message() +
                                                " (is the sandbox's network 'none'?)");
  }
  beast::tcp_stream tcp(io);
  tcp.expires_after(options.timeout);
  call.on_cancel = [&tcp] { tcp.cancel(); };
  auto [cec, connected] = co_await tcp.async_connect(endpoints, use_tuple);
  if (cec) {
    co_return make_error(Errc::unavailable,
                         "cannot connect to " + url.host + ":" + url.port + ": " + cec.message());
  }
  if (!url.tls) co_return co_await round_trip(tcp, url, options);

  asio::ssl::context tls(asio::ssl::context::tls_client);
  tls.set_default_verify_paths();
  tls.set_verify_mode(asio::ssl::verify_peer);
  beast::ssl_stream<beast::tcp_stream> stream(std::move(tcp), tls);
  call.on_cancel = [&stream] { beast::get_lowest_layer(stream).cancel(); };
  SSL_set_tlsext_host_name(stream.native_handle(), url.host.c_str());
  stream.set_verify_callback(asio::ssl::host_name_verification(url.host));
  auto [hec] = co_await stream.async_handshake(asio::ssl::stream_base::client, use_tuple);
  if (hec) co_return make_error(Errc::unavailable, "TLS with " + url.host + ": " + hec.message());
  co_return co_await round_trip(stream, url, options);
}

Result<FetchOptions> options_from(const Json& arguments) {
  FetchOptions options;
  const auto bad = [](std::string why) {
    return make_error(Errc::invalid_argument, std::move(why));
  };
  for (const auto& [key, value] : arguments.items()) {
    if (key == "url") continue;
    if (key == "method") {
      if (!value.is_string()) return bad("'method' must be a string");
      options.method = bhttp::string_to_verb(value.get<std::string>());
      if (options.method == bhttp::verb::unknown) return bad("'method' is not an HTTP method");
    } else if (key == "headers") {
      if (!value.is_object()) return bad("'headers' must be an object of strings");
      for (const auto& [name, v] : value.items()) {
        if (!v.is_string()) return bad("header '" + name + "' must be a string");
        options.headers[name] = v.get<std::string>();
      }
    } else if (key == "body") {
      if (!value.is_string()) return bad("'body' must be a string");
      options.body = value.get<std::string>();
    } else if (key == "max_bytes") {
      if (!value.is_number_integer() || value < 1 || value > kMaxBytes)
        return bad("'max_bytes' must be an integer in 1..16777216");
      options.max_bytes = value.get<std::int64_t>();
    } else if (key == "timeout_seconds") {
      if (!value.is_number() || value <= 0 || value > kMaxSeconds)
        return bad("'timeout_seconds' must be a number in (0, 300]");
      options.timeout = std::chrono::seconds(std::max<std::int64_t>(1, value.get<std::int64_t>()));
    } else {
      return bad("unknown argument '" + key + "'");
    }
  }
  return options;
}

Json descriptor() {
  Json properties{
      {"url", {{"type", "string"}, {"description", "An http:// or https:// URL"}}},
      {"method", {{"type", "string"}, {"description", "GET (default), POST, PUT, ..."}}},
      {"headers", {{"type", "object"}, {"additionalProperties", {{"type", "string"}}}}},
      {"body", {{"type", "string"}}},
      {"max_bytes", {{"type", "integer"}, {"description", "Body cap (default 1 MiB)"}}},
      {"timeout_seconds", {{"type", "number"}, {"description", "Default 30"}}}};
  Json input{{"type", "object"},
             {"properties", properties},
             {"required", {"url"}},
             {"additionalProperties", false}};
  return {{"name", "fetch"},
          {"title", "Fetch a URL"},
          {"description",
           "Makes an HTTP(S) request from inside the sandbox (which needs a network) and "
           "returns the status line and the body as text. 4xx and 5xx are error results."},
          {"inputSchema", input}};
}

asio::awaitable<Json> fetch(asio::io_context& io, ToolCallPtr call) {
  const Json& arguments = call->arguments;
  if (!arguments.contains("url") || !arguments["url"].is_string()) {
    co_return text_result("fetch: 'url' is required", true);
  }
  auto url = parse_url(arguments["url"].get<std::string>());
  auto options = options_from(arguments);
  if (!url || !options) {
    // No ?: here: GCC 12 mishandles temporaries of a conditional inside a coroutine.
    if (!url) co_return text_result("fetch: " + url.error().message, true);
    co_return text_result("fetch: " + options.error().message, true);
  }
  for (int redirects = 0;; ++redirects) {
    auto fetched = co_await fetch_once(io, *url, *options, *call);
    call->on_cancel = nullptr;
    if (call->cancelled) co_return text_result("fetch: cancelled", true);
    if (!fetched) co_return text_result("fetch: " + fetched.error().message, true);
    const auto& response = fetched->response;
    const unsigned status = response.result_int();
    auto location = response[bhttp::field::location];
    if (status >= 300 && status < 400 && !location.empty() && redirects < kMaxRedirects) {
      std::string next(location);
      if (next.front() == '/')
        next = (url->tls ? "https://" : "http://") + url->host + ":" + url->port + next;
      auto parsed = parse_url(next);
      if (!parsed) co_return text_result("fetch: redirect: " + parsed.error().message, true);
      url = std::move(parsed);
      continue;
    }
    std::string head = "HTTP " + std::to_string(status) + " " + std::string(response.reason());
    if (auto type = response[bhttp::field::content_type]; !type.empty())
      head += ", " + std::string(type);
    head += ", " + std::to_string(response.body().size()) + " bytes";
    if (fetched->truncated) head += " (truncated)";
    Json content = Json::array();
    content.push_back({{"type", "text"}, {"text", head}});
    std::string body = response.body();
    if (!sandbox::is_valid_utf8(body)) body = "(not UTF-8; base64) " + sandbox::base64_encode(body);
    content.push_back({{"type", "text"}, {"text", std::move(body)}});
    Json result{{"content", content}};
    if (status >= 400) result["isError"] = true;
    co_return result;
  }
}

}  // namespace

Tool fetch_tool(asio::io_context& io) {
  return {descriptor(), [&io](ToolCallPtr call) { return fetch(io, std::move(call)); }};
}

}  // namespace hive::agent::mcp
