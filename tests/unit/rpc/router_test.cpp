// The route table: matching, parameters, query strings and error answers, without a socket.
#include "rpc/router.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <tuple>
#include <vector>

namespace laurel::rpc {
namespace {

// Dispatches synchronously and returns the answer (handlers here answer inline).
HttpResponse Run(const Router& router, std::string method, std::string target) {
  HttpRequest req;
  req.method = std::move(method);
  req.target = std::move(target);
  HttpResponse out;
  int calls = 0;
  router.Dispatch(std::move(req), [&](HttpResponse r) {
    ++calls;
    out = std::move(r);
  });
  REQUIRE(calls >= 1);
  return out;
}

std::string Code(const HttpResponse& r) { return nlohmann::json::parse(r.body)["code"]; }

Router Echo() {
  Router r;
  auto echo = [](std::string name) {
    return [name](const HttpRequest& req, const Responder& respond) {
      std::string body = name;
      for (const auto& [k, v] : req.params) body += " " + k + "=" + v;
      for (const auto& [k, v] : req.query) body += " ?" + k + "=" + v;
      respond(TextResponse(200, body));
    };
  };
  r.Add("GET", "/v1/blocks/{height}", echo("block"));
  r.Add("GET", "/v1/blocks/latest", echo("latest"));
  r.Add("GET", "/v1/credentials/{id}/history", echo("history"));
  r.Add("POST", "/v1/txs", echo("submit"));
  r.Add("GET", "/v1/throws",
        [](const HttpRequest&, const Responder&) { throw std::runtime_error("boom"); });
  return r;
}

TEST_CASE("a literal segment wins over a parameter whatever the order of registration",
          "[rpc][router]") {
  Router r = Echo();
  CHECK(Run(r, "GET", "/v1/blocks/latest").body == "latest");
  CHECK(Run(r, "GET", "/v1/blocks/12").body == "block height=12");
}

TEST_CASE("path parameters and query values are percent-decoded", "[rpc][router]") {
  Router r = Echo();
  CHECK(
      Run(r, "GET", "/v1/credentials/acme%2Fmember%2042/history?limit=5&page_token=a+b%3D").body ==
      "history id=acme/member 42 ?limit=5 ?page_token=a b=");
  CHECK(Run(r, "GET", "/v1/credentials/bad%zz/history").status == 400);
  CHECK(Run(r, "GET", "/v1/credentials/bad%2/history").status == 400);
  CHECK(Run(r, "GET", "/v1/blocks/1?x=%G1").status == 400);
}

TEST_CASE("unknown paths are 404, known paths with another method 405", "[rpc][router]") {
  Router r = Echo();
  auto not_found = Run(r, "GET", "/v1/blocks");
  CHECK(not_found.status == 404);
  CHECK(Code(not_found) == "NOT_FOUND");
  CHECK(Run(r, "GET", "/v1/blocks/").status == 404);  // an empty parameter does not match
  CHECK(Run(r, "GET", "/v1/blocks/1/extra").status == 404);
  auto wrong = Run(r, "PUT", "/v1/txs");
  CHECK(wrong.status == 405);
  CHECK(Code(wrong) == "METHOD_NOT_ALLOWED");
  REQUIRE(wrong.headers.size() == 1);
  CHECK(wrong.headers[0] == std::pair<std::string, std::string>{"Allow", "POST"});
}

TEST_CASE("a target that is not an absolute path is 400", "[rpc][router]") {
  Router r = Echo();
  CHECK(Run(r, "GET", "http://example.com/v1/txs").status == 400);
  CHECK(Run(r, "GET", "*").status == 400);
}

TEST_CASE("a handler that throws is answered 500", "[rpc][router]") {
  Router r = Echo();
  auto resp = Run(r, "GET", "/v1/throws");
  CHECK(resp.status == 500);
  CHECK(Code(resp) == "INTERNAL");
}

TEST_CASE("the route table is listed in registration order", "[rpc][router]") {
  const auto routes = Echo().Routes();
  REQUIRE(routes.size() == 5);
  CHECK(routes[0] == std::pair<std::string, std::string>{"GET", "/v1/blocks/{height}"});
  CHECK(routes[3] == std::pair<std::string, std::string>{"POST", "/v1/txs"});
}

TEST_CASE("the observer sees each answer once with its route pattern and status",
          "[rpc][router]") {
  Router r = Echo();
  std::vector<std::tuple<std::string, std::string, int>> seen;
  r.SetObserver([&](const std::string& method, const std::string& pattern, int status,
                    double seconds) {
    CHECK(seconds >= 0);
    seen.emplace_back(method, pattern, status);
  });
  Run(r, "GET", "/v1/blocks/7");
  Run(r, "GET", "/v1/nope");
  Run(r, "DELETE", "/v1/txs");
  Run(r, "GET", "/v1/throws");
  REQUIRE(seen.size() == 4);
  CHECK(seen[0] == std::tuple<std::string, std::string, int>{"GET", "/v1/blocks/{height}", 200});
  CHECK(seen[1] == std::tuple<std::string, std::string, int>{"GET", "", 404});
  CHECK(seen[2] == std::tuple<std::string, std::string, int>{"DELETE", "", 405});
  CHECK(seen[3] == std::tuple<std::string, std::string, int>{"GET", "/v1/throws", 500});
}

TEST_CASE("media types are compared without parameters or case", "[rpc][router]") {
  CHECK(MediaType("Application/JSON; charset=utf-8") == "application/json");
  CHECK(MediaType("  application/x-protobuf ") == "application/x-protobuf");
  CHECK(MediaType("").empty());
}

}  // namespace
}  // namespace laurel::rpc
