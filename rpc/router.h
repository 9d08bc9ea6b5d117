// The RPC route table: transport-free HTTP request/response values and a router that matches
// "METHOD /path/{param}" patterns. The server (server.cpp) turns Beast messages into these
// values, so handlers never see Boost and new routes are added in one place (routes.cpp).
//
// Contract:
// - Dispatch answers every request exactly once through `respond`: the matched handler's
//   answer, 404 NOT_FOUND for an unknown path, 405 METHOD_NOT_ALLOWED (with an Allow header)
//   for a known path and another method, 400 BAD_REQUEST for a malformed target, or 500
//   INTERNAL if the handler throws before answering.
// - A literal segment beats a parameter ("/v1/blocks/latest" over "/v1/blocks/{height}").
// - Path parameters and query values are percent-decoded ("%2F" gives "/"; in the query, "+"
//   gives a space).
//
// Thread safety: a Router is immutable once built; Dispatch may run concurrently on any
// threads. A Responder may be called from any thread (e.g. a node callback), once.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace laurel::rpc {

struct HttpRequest {
  std::string method;                         // "GET", "POST", ... as sent
  std::string target;                         // raw request target ("/v1/txs?wait=commit")
  std::string path;                           // raw path, without the query
  std::map<std::string, std::string> query;   // decoded; the last of repeated keys wins
  std::map<std::string, std::string> params;  // path parameters, filled by Dispatch
  std::string content_type;                   // media type only, lower case ("application/json")
  std::string accept;                         // raw Accept header
  bool has_body_framing = false;              // Content-Length or Transfer-Encoding was present
  std::string body;
  std::string remote_address;  // the client's IP address as text; empty when not known

  // The query value for `key`, if present.
  std::optional<std::string> Query(const std::string& key) const;
  // The path parameter `name` (empty if the route has none by that name).
  const std::string& Param(const std::string& name) const;
  // Whether the Accept header asks for `media_type` (a plain substring match on media types).
  bool Accepts(std::string_view media_type) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
};

// Delivers the answer to a request. Safe to call from any thread; only the first call counts.
using Responder = std::function<void(HttpResponse)>;
// Handles one matched request: must eventually call `respond` once, either before returning or
// later from any thread (then on a copy of `respond`).
using Handler = std::function<void(const HttpRequest&, const Responder& respond)>;

// {"code": code, "message": message} with `status`.
HttpResponse ErrorResponse(int status, std::string_view code, std::string_view message);
// A text/plain response.
HttpResponse TextResponse(int status, std::string body);

// Splits a media type header value into its lower-case type ("Application/JSON; charset=x" ->
// "application/json").
std::string MediaType(std::string_view header_value);
// Percent-decodes `s` ('+' as space when `plus_is_space`); nullopt on a bad escape.
std::optional<std::string> PercentDecode(std::string_view s, bool plus_is_space);

class Router {
 public:
  // Told about every answered request: the method and pattern of the matched route ("" when
  // none matched), the HTTP status, and the seconds from Dispatch to the answer.
  using Observer = std::function<void(const std::string& method, const std::string& pattern,
                                      int status, double seconds)>;

  // Adds a route. `pattern` is a path of '/'-separated segments, a segment "{name}" matching
  // any one non-empty segment. Aborts (LAUREL_CHECK) on a duplicate (method, pattern).
  void Add(std::string method, std::string_view pattern, Handler handler);

  // Parses req.target into path and query, finds the route and calls its handler.
  void Dispatch(HttpRequest req, const Responder& respond) const;

  // Sets the observer (before the router is shared between threads).
  void SetObserver(Observer observer) { observer_ = std::move(observer); }

  // Every registered route as (method, pattern), in registration order.
  std::vector<std::pair<std::string, std::string>> Routes() const;

 private:
  // Dispatch without the observer; stores the matched route's pattern in *matched_pattern.
  void DispatchMatched(HttpRequest req, const Responder& respond,
                       std::string* matched_pattern) const;

  struct Route {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments;  // "{name}" for parameters
    Handler handler;
  };
  std::vector<Route> routes_;
  Observer observer_;
};

}  // namespace laurel::rpc
