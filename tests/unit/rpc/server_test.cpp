// The HTTP API server end to end: a real server on 127.0.0.1:0 over a fake node.
#include "rpc/server.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "laurel/v1/api.pb.h"
#include "ledger/codes.h"
#include "tests/unit/rpc/route_test_json.h"
#include "tests/unit/rpc/rpc_test_util.h"

namespace laurel::rpc::test {
namespace {

using nlohmann::json;

struct Fixture {
  FakeNode node;
  std::unique_ptr<RpcServer> server;

  explicit Fixture(RpcConfig config = {}) {
    auto r = RpcServer::Start(config, node);
    REQUIRE(r.ok());
    server = std::move(r).value();
  }
  uint16_t port() const { return server->port(); }
};

std::string TxJson(const types::Tx& tx, bool camel_case) {
  json sigs = json::array();
  for (const auto& s : tx.signatures) {
    sigs.push_back({{camel_case ? "publicKey" : "public_key", Base64Encode(s.public_key)},
                    {"signature", Base64Encode(s.signature)}});
  }
  return json{{"body", Base64Encode(tx.body)}, {"signatures", sigs}}.dump();
}

template <class Clock = std::chrono::steady_clock>
double MsSince(typename Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

TEST_CASE("healthz answers ok and readyz follows the node's readiness", "[rpc]") {
  Fixture f;
  auto h = Http(f.port(), "GET", "/healthz");
  CHECK(h.status == 200);
  CHECK(h.body == "ok");
  CHECK(Http(f.port(), "GET", "/readyz").status == 200);
  f.node.ready = false;
  auto r = Http(f.port(), "GET", "/readyz");
  CHECK(r.status == 503);
  CHECK(Json(r)["code"] == "NOT_READY");
}

TEST_CASE("status reports the node status with hashes and keys in hex", "[rpc]") {
  Fixture f;
  auto r = Http(f.port(), "GET", "/v1/status");
  REQUIRE(r.status == 200);
  CHECK(r.headers["content-type"] == "application/json");
  json j = Json(r);
  CHECK(j["chain_id"] == f.node.chain_id());
  CHECK(j["node_name"] == "node-a");
  // 64-bit integers are strings in protobuf's JSON mapping.
  CHECK(j["height"] == "1");
  CHECK(j["round"] == "7");
  CHECK(j["validators"] == 1);
  CHECK(j["ready"] == true);
  CHECK(j["last_block_id"] == HexEncode(f.node.block1_id()));
  CHECK(j["public_key"] == HexEncode(Bytes(32, 0xab)));
  CHECK(j["syncing"] == false);
  CHECK(j["mempool_txs"] == "3");
  CHECK(j["certified_height"] == "1");
}

TEST_CASE("blocks are served as JSON with decoded bodies, by height and as latest", "[rpc]") {
  Fixture f;
  auto latest = Http(f.port(), "GET", "/v1/blocks/latest");
  REQUIRE(latest.status == 200);
  json j = Json(latest);
  CHECK(j["height"] == "1");
  CHECK(j["tx_count"] == 2);
  CHECK(j["block_id"] == HexEncode(f.node.block1_id()));
  CHECK(j["parent_id"] == HexEncode(f.node.genesis_id()));
  CHECK(j["state_root"] == HexEncode(f.node.store().StateRoot()));
  REQUIRE(j["txs"].size() == 2);
  const json& ok_tx = j["txs"][0];
  CHECK(ok_tx["tx_id"] == HexEncode(types::TxId(f.node.block_txs()[0])));
  CHECK(ok_tx["result"] == "OK");
  CHECK(ok_tx["body"] == Base64Encode(f.node.block_txs()[0].body));
  CHECK(ok_tx["decoded_body"]["chain_id"] == f.node.chain_id());
  CHECK(ok_tx["decoded_body"]["register_issuer"]["issuer_id"] == "acme-union");
  REQUIRE(ok_tx["signatures"].size() == 1);
  CHECK(ok_tx["signatures"][0]["public_key"] == Base64Encode(f.node.admin().public_key()));
  const json& bad_tx = j["txs"][1];
  CHECK(bad_tx["result"] == "MALFORMED");
  CHECK_FALSE(bad_tx.contains("decoded_body"));

  auto at1 = Http(f.port(), "GET", "/v1/blocks/1");
  REQUIRE(at1.status == 200);
  CHECK(Json(at1) == j);
  auto at0 = Http(f.port(), "GET", "/v1/blocks/0");
  REQUIRE(at0.status == 200);
  CHECK(Json(at0)["height"] == "0");
  CHECK(Json(at0)["txs"].empty());
}

TEST_CASE("a block is served as binary BlockView when the client accepts protobuf", "[rpc]") {
  Fixture f;
  auto r = Http(f.port(), "GET", "/v1/blocks/1", "", {{"Accept", "application/x-protobuf"}});
  REQUIRE(r.status == 200);
  CHECK(r.headers["content-type"] == "application/x-protobuf");
  laurel::v1::BlockView b;
  REQUIRE(b.ParseFromString(r.body));
  CHECK(b.height() == 1);
  CHECK(b.block_id() == HexEncode(f.node.block1_id()));
  CHECK(b.tx_count() == 2);
  REQUIRE(b.txs_size() == 2);
  CHECK(b.txs(0).body() == ToString(f.node.block_txs()[0].body));
  CHECK(b.txs(0).decoded_body().register_issuer().issuer_id() == "acme-union");
  CHECK(b.txs(1).result() == "MALFORMED");
  CHECK_FALSE(b.txs(1).has_decoded_body());
}

TEST_CASE("a missing block is 404 and a non-numeric height is 400", "[rpc]") {
  Fixture f;
  auto missing = Http(f.port(), "GET", "/v1/blocks/99");
  CHECK(missing.status == 404);
  CHECK(Json(missing)["code"] == "NOT_FOUND");
  CHECK(Http(f.port(), "GET", "/v1/blocks/abc").status == 400);
  CHECK(Http(f.port(), "GET", "/v1/blocks/-1").status == 400);
}

TEST_CASE("a transaction is looked up as committed, pending or unknown", "[rpc]") {
  Fixture f;
  const Hash32 committed = types::TxId(f.node.block_txs()[0]);
  auto c = Http(f.port(), "GET", "/v1/txs/" + HexEncode(committed));
  REQUIRE(c.status == 200);
  json j = Json(c);
  CHECK(j["status"] == "committed");
  CHECK(j["tx_id"] == HexEncode(committed));
  CHECK(j["height"] == "1");
  CHECK(j["position"] == 0);
  CHECK(j["result"] == "OK");

  Hash32 pending{};
  pending.fill(0x42);
  {
    std::lock_guard lock(f.node.mu);
    f.node.pending.insert(pending);
  }
  auto p = Http(f.port(), "GET", "/v1/txs/" + HexEncode(pending));
  REQUIRE(p.status == 200);
  CHECK(Json(p)["status"] == "pending");
  CHECK_FALSE(Json(p).contains("height"));

  Hash32 unknown{};
  unknown.fill(0x17);
  auto u = Http(f.port(), "GET", "/v1/txs/" + HexEncode(unknown));
  CHECK(u.status == 404);
  CHECK(Json(u)["code"] == "NOT_FOUND");
}

TEST_CASE("a tx id that is not 64 hex characters is 400", "[rpc]") {
  Fixture f;
  for (const std::string& bad :
       std::vector<std::string>{"xyz", "abcd", std::string(64, 'g'), std::string(66, 'a')}) {
    auto r = Http(f.port(), "GET", "/v1/txs/" + bad);
    INFO(bad);
    CHECK(r.status == 400);
    CHECK(Json(r)["code"] == "BAD_TX_ID");
  }
}

TEST_CASE("a JSON transaction is submitted with camelCase or proto field names", "[rpc]") {
  Fixture f;
  const types::Tx tx = MakeRegisterIssuerTx(f.node.chain_id(), "new-union", f.node.admin());
  const bool camel = GENERATE(true, false);
  auto r = Http(f.port(), "POST", "/v1/txs", TxJson(tx, camel), kJsonType);
  REQUIRE(r.status == 202);
  json j = Json(r);
  CHECK(j["tx_id"] == HexEncode(types::TxId(tx)));
  CHECK(j["status"] == "pending");
  std::lock_guard lock(f.node.mu);
  REQUIRE(f.node.submitted.size() == 1);
  CHECK(f.node.submitted[0].body == tx.body);
  REQUIRE(f.node.submitted[0].signatures.size() == 1);
  CHECK(f.node.submitted[0].signatures[0].public_key == tx.signatures[0].public_key);
  CHECK(f.node.submitted[0].signatures[0].signature == tx.signatures[0].signature);
}

TEST_CASE("a binary protobuf transaction is submitted", "[rpc]") {
  Fixture f;
  const types::Tx tx = MakeRegisterIssuerTx(f.node.chain_id(), "bin-union", f.node.admin());
  // Without an Accept header the answer comes in the request's media type.
  auto r = Http(f.port(), "POST", "/v1/txs", ToString(types::EncodeTx(tx)),
                {{"Content-Type", "application/x-protobuf"}});
  REQUIRE(r.status == 202);
  CHECK(r.headers["content-type"] == "application/x-protobuf");
  ::laurel::v1::TxStatusView v;
  REQUIRE(v.ParseFromString(r.body));
  CHECK(v.tx_id() == HexEncode(types::TxId(tx)));
  auto again = Http(f.port(), "POST", "/v1/txs", ToString(types::EncodeTx(tx)),
                    {{"Content-Type", "application/x-protobuf"}, {"Accept", "application/json"}});
  REQUIRE(again.status == 202);
  CHECK(Json(again)["tx_id"] == HexEncode(types::TxId(tx)));
  std::lock_guard lock(f.node.mu);
  REQUIRE(f.node.submitted.size() == 2);
  CHECK(f.node.submitted[0].body == tx.body);
}

TEST_CASE("each admission refusal maps to its HTTP status and code", "[rpc]") {
  Fixture f;
  const types::Tx tx = MakeRegisterIssuerTx(f.node.chain_id(), "x-union", f.node.admin());
  struct Case {
    node::AdmitCode code;
    int status;
    std::string error;
  };
  for (const Case& c : {Case{node::AdmitCode::kInvalid, 400, "INVALID_TX"},
                        Case{node::AdmitCode::kMempoolFull, 429, "MEMPOOL_FULL"},
                        Case{node::AdmitCode::kTooLarge, 413, "TX_TOO_LARGE"},
                        Case{node::AdmitCode::kNotReady, 503, "NOT_READY"}}) {
    {
      std::lock_guard lock(f.node.mu);
      f.node.admit.code = c.code;
      f.node.admit.tx_code = ledger::TxCode::kBadSignature;
      f.node.admit.message = "refused";
    }
    auto r = Http(f.port(), "POST", "/v1/txs", TxJson(tx, true), kJsonType);
    INFO(c.error);
    CHECK(r.status == c.status);
    json j = Json(r);
    CHECK(j["code"] == c.error);
    if (c.code == node::AdmitCode::kInvalid) CHECK(j["tx_code"] == "BAD_SIGNATURE");
    if (c.code == node::AdmitCode::kMempoolFull) CHECK(r.headers.count("retry-after") == 1);
  }
}

TEST_CASE("an already known tx is 202 and an already committed one is 200 with its location",
          "[rpc]") {
  Fixture f;
  {
    std::lock_guard lock(f.node.mu);
    f.node.admit.code = node::AdmitCode::kAlreadyKnown;
  }
  const types::Tx fresh = MakeRegisterIssuerTx(f.node.chain_id(), "y-union", f.node.admin());
  auto known = Http(f.port(), "POST", "/v1/txs", TxJson(fresh, true), kJsonType);
  CHECK(known.status == 202);
  CHECK(Json(known)["status"] == "pending");

  {
    std::lock_guard lock(f.node.mu);
    f.node.admit.code = node::AdmitCode::kCommitted;
  }
  const types::Tx& old = f.node.block_txs()[0];
  auto committed = Http(f.port(), "POST", "/v1/txs", TxJson(old, true), kJsonType);
  REQUIRE(committed.status == 200);
  json j = Json(committed);
  CHECK(j["status"] == "committed");
  CHECK(j["height"] == "1");
  CHECK(j["position"] == 0);
  CHECK(j["result"] == "OK");
}

TEST_CASE("wait=commit answers 200 with the location once the node reports the commit", "[rpc]") {
  Fixture f;
  {
    std::lock_guard lock(f.node.mu);
    f.node.commit_at = storage::TxLocation{5, 3, ledger::TxCode::kUnauthorized};
    f.node.commit_delay = 150ms;
  }
  const types::Tx tx = MakeRegisterIssuerTx(f.node.chain_id(), "w-union", f.node.admin());
  const auto t0 = std::chrono::steady_clock::now();
  auto r = Http(f.port(), "POST", "/v1/txs?wait=commit", TxJson(tx, true), kJsonType);
  REQUIRE(r.status == 200);
  CHECK(MsSince(t0) >= 140);
  json j = Json(r);
  CHECK(j["tx_id"] == HexEncode(types::TxId(tx)));
  CHECK(j["status"] == "committed");
  CHECK(j["height"] == "5");
  CHECK(j["position"] == 3);
  CHECK(j["result"] == "UNAUTHORIZED");
  CHECK(f.node.wait_calls == 1);
}

TEST_CASE("wait=commit answers 504 when the commit does not come within timeout_ms", "[rpc]") {
  Fixture f;
  const types::Tx tx = MakeRegisterIssuerTx(f.node.chain_id(), "t-union", f.node.admin());
  const auto t0 = std::chrono::steady_clock::now();
  auto r =
      Http(f.port(), "POST", "/v1/txs?wait=commit&timeout_ms=200", TxJson(tx, true), kJsonType);
  CHECK(r.status == 504);
  CHECK(MsSince(t0) >= 190);
  CHECK(MsSince(t0) < 5000);
  json j = Json(r);
  CHECK(j["code"] == "TIMEOUT");
  CHECK(j["tx_id"] == HexEncode(types::TxId(tx)));
}

TEST_CASE("a pending wait=commit holds no server thread", "[rpc]") {
  RpcConfig config;
  config.threads = 1;
  Fixture f(config);
  const types::Tx tx = MakeRegisterIssuerTx(f.node.chain_id(), "h-union", f.node.admin());
  Conn waiter(f.port());
  REQUIRE(waiter.Send(
      BuildRequest("POST", "/v1/txs?wait=commit&timeout_ms=1500", TxJson(tx, true), kJsonType)));
  for (int i = 0; i < 200 && f.node.wait_calls == 0; ++i) std::this_thread::sleep_for(5ms);
  REQUIRE(f.node.wait_calls == 1);
  const auto t0 = std::chrono::steady_clock::now();
  CHECK(Http(f.port(), "GET", "/v1/status").status == 200);
  CHECK(MsSince(t0) < 1000);
  auto r = waiter.Read();
  REQUIRE(r);
  CHECK(r->status == 504);
}

TEST_CASE("malformed bodies are 400", "[rpc]") {
  Fixture f;
  for (const char* body : {"{not json", "[]", R"({"body": 5})", R"({"unknown_field": "x"})",
                           R"({"body": "!!!notbase64"})", ""}) {
    auto r = Http(f.port(), "POST", "/v1/txs", body, kJsonType);
    INFO(body);
    CHECK(r.status == 400);
    CHECK(Json(r)["code"] == "MALFORMED_BODY");
  }
  auto garbage = Http(f.port(), "POST", "/v1/txs", "\xff\xff\xff\xff", kProtoType);
  CHECK(garbage.status == 400);
  std::lock_guard lock(f.node.mu);
  CHECK(f.node.submitted.empty());
}

TEST_CASE("a body of another content type is 415", "[rpc]") {
  Fixture f;
  const types::Tx tx = MakeRegisterIssuerTx(f.node.chain_id(), "c-union", f.node.admin());
  auto r = Http(f.port(), "POST", "/v1/txs", TxJson(tx, true), {{"Content-Type", "text/plain"}});
  CHECK(r.status == 415);
  CHECK(Json(r)["code"] == "UNSUPPORTED_MEDIA_TYPE");
  auto none = Http(f.port(), "POST", "/v1/txs", TxJson(tx, true));
  CHECK(none.status == 415);
  // Parameters and case do not matter.
  auto with_charset = Http(f.port(), "POST", "/v1/txs", TxJson(tx, true),
                           {{"Content-Type", "Application/JSON; charset=utf-8"}});
  CHECK(with_charset.status == 202);
}

TEST_CASE("a body over the cap is 413, declared or sent", "[rpc]") {
  RpcConfig config;
  config.max_body_bytes = 4096;
  Fixture f(config);
  // Declared too large: refused on the header, before the body is read.
  Conn c(f.port());
  REQUIRE(
      c.Send("POST /v1/txs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
             "Content-Length: 2000000\r\n\r\n"));
  auto r = c.Read();
  REQUIRE(r);
  CHECK(r->status == 413);
  CHECK(Json(*r)["code"] == "PAYLOAD_TOO_LARGE");
  CHECK(c.ClosedByPeer(3000ms));
  // Sent too large with chunked framing (no length known up front).
  Conn chunked(f.port());
  std::string chunk(3000, 'a');
  char size_hex[16];
  std::snprintf(size_hex, sizeof(size_hex), "%zx", chunk.size());
  std::string req =
      "POST /v1/txs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Transfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 2; ++i) req += std::string(size_hex) + "\r\n" + chunk + "\r\n";
  req += "0\r\n\r\n";
  REQUIRE(chunked.Send(req));
  auto rc = chunked.Read();
  REQUIRE(rc);
  CHECK(rc->status == 413);
  // A binary tx over the ledger's per-tx limit but under the body cap is also 413.
  RpcConfig big;
  big.max_body_bytes = 1 << 20;
  Fixture g(big);
  auto large =
      Http(g.port(), "POST", "/v1/txs", std::string(types::kMaxTxBytes + 10, 'x'), kProtoType);
  CHECK(large.status == 413);
  // A client that sends its whole oversized body before reading still gets the answer (the
  // server drains what it refused instead of resetting the connection).
  Conn pushy(g.port());
  const size_t size = 3 << 20;
  pushy.Send(
      "POST /v1/txs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Content-Length: " +
      std::to_string(size) + "\r\n\r\n" + std::string(size, 'A'));
  auto rp = pushy.Read();
  REQUIRE(rp);
  CHECK(rp->status == 413);
}

TEST_CASE("an unknown route is 404 and a wrong method is 405 with Allow", "[rpc]") {
  Fixture f;
  auto r = Http(f.port(), "GET", "/v1/nope");
  CHECK(r.status == 404);
  CHECK(Json(r)["code"] == "NOT_FOUND");
  CHECK(Http(f.port(), "GET", "/").status == 404);
  auto m = Http(f.port(), "DELETE", "/v1/status");
  CHECK(m.status == 405);
  CHECK(Json(m)["code"] == "METHOD_NOT_ALLOWED");
  CHECK(m.headers["allow"] == "GET");
  auto get_txs = Http(f.port(), "GET", "/v1/txs");
  CHECK(get_txs.status == 405);
  CHECK(get_txs.headers["allow"] == "POST");
}

TEST_CASE("keep-alive serves several requests on one connection", "[rpc]") {
  Fixture f;
  Conn c(f.port());
  for (int i = 0; i < 3; ++i) {
    REQUIRE(c.Send(BuildRequest("GET", "/v1/status")));
    auto r = c.Read();
    REQUIRE(r);
    CHECK(r->status == 200);
  }
  REQUIRE(c.Send(BuildRequest("GET", "/v1/nope")));
  auto r = c.Read();
  REQUIRE(r);
  CHECK(r->status == 404);
  REQUIRE(c.Send(BuildRequest("GET", "/healthz")));
  CHECK(c.Read().value_or(HttpResult{}).status == 200);
}

TEST_CASE("pipelined requests are answered in order, a slow one holding back the next",
          "[rpc][pipelining]") {
  Fixture f;
  {
    std::lock_guard lock(f.node.mu);
    f.node.commit_at = storage::TxLocation{5, 3, ledger::TxCode::kOk};
    f.node.commit_delay = 150ms;
  }
  const types::Tx tx = MakeRegisterIssuerTx(f.node.chain_id(), "p-union", f.node.admin());
  Conn c(f.port());
  // Three requests in one write before reading anything: the first is answered from the node's
  // thread 150 ms later, the others at once; the answers still come in request order.
  REQUIRE(c.Send(BuildRequest("POST", "/v1/txs?wait=commit", TxJson(tx, true), kJsonType) +
                 BuildRequest("GET", "/v1/nope") + BuildRequest("GET", "/healthz")));
  auto first = c.Read();
  REQUIRE(first);
  CHECK(first->status == 200);
  CHECK(Json(*first)["status"] == "committed");
  auto second = c.Read();
  REQUIRE(second);
  CHECK(second->status == 404);
  auto third = c.Read();
  REQUIRE(third);
  CHECK(third->status == 200);
  CHECK(third->body.find("ok") != std::string::npos);

  // Byte by byte and split across requests: still three answers in order.
  const std::string three = BuildRequest("GET", "/v1/status") + BuildRequest("GET", "/v1/nope") +
                            BuildRequest("GET", "/healthz");
  for (size_t i = 0; i < three.size(); i += 7) REQUIRE(c.Send(three.substr(i, 7)));
  CHECK(c.Read().value_or(HttpResult{}).status == 200);
  CHECK(c.Read().value_or(HttpResult{}).status == 404);
  CHECK(c.Read().value_or(HttpResult{}).status == 200);
}

TEST_CASE("a pipelined Connection: close ends the connection after its own answer",
          "[rpc][pipelining]") {
  Fixture f;
  Conn c(f.port());
  REQUIRE(c.Send(BuildRequest("GET", "/healthz") +
                 BuildRequest("GET", "/v1/nope", "", {{"Connection", "close"}}) +
                 BuildRequest("GET", "/v1/status")));
  CHECK(c.Read().value_or(HttpResult{}).status == 200);
  auto closing = c.Read();
  REQUIRE(closing);
  CHECK(closing->status == 404);
  CHECK(closing->headers["connection"] == "close");
  CHECK_FALSE(c.Read());  // the third request is not served
}

TEST_CASE("a slow client does not block others and is cut off at the read timeout", "[rpc]") {
  RpcConfig config;
  config.threads = 1;
  config.read_timeout_ms = 400;
  Fixture f(config);
  Conn slow(f.port());
  REQUIRE(
      slow.Send("POST /v1/txs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                "Content-Length: 100\r\n\r\n{\"bo"));
  const auto t0 = std::chrono::steady_clock::now();
  auto r = Http(f.port(), "GET", "/v1/status");
  CHECK(r.status == 200);
  CHECK(MsSince(t0) < 300);
  CHECK(slow.ClosedByPeer(3000ms));
  CHECK(MsSince(t0) >= 300);
}

TEST_CASE("garbage bytes close that connection and the server keeps serving", "[rpc]") {
  Fixture f;
  Conn bad(f.port());
  // A TLS ClientHello's first bytes, then text: not an HTTP request line.
  static constexpr char kGarbage[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 garbage\r\n\r\n";
  REQUIRE(bad.Send(std::string(kGarbage, sizeof(kGarbage) - 1)));
  auto r = bad.Read();
  REQUIRE(r);
  CHECK(r->status == 400);
  CHECK(Json(*r)["code"] == "BAD_REQUEST");
  CHECK(bad.ClosedByPeer(3000ms));
  Conn bad2(f.port());
  REQUIRE(bad2.Send("GET /v1/status HTTP/9.9\r\nHost: x\r\n\r\n"));
  CHECK(bad2.ClosedByPeer(3000ms));
  CHECK(Http(f.port(), "GET", "/v1/status").status == 200);
}

TEST_CASE("connections over the per-IP cap are refused with 503 and Retry-After until one closes",
          "[rpc]") {
  RpcConfig config;
  config.max_connections_per_ip = 2;
  Fixture f(config);
  auto a = std::make_unique<Conn>(f.port());
  Conn b(f.port());
  for (Conn* c : {a.get(), &b}) {
    REQUIRE(c->Send(BuildRequest("GET", "/healthz")));
    REQUIRE(c->Read().value_or(HttpResult{}).status == 200);
  }
  Conn third(f.port());
  auto r = third.Read();
  REQUIRE(r);
  CHECK(r->status == 503);
  CHECK(r->headers["retry-after"] == "1");
  CHECK(Json(*r)["code"] == "TOO_MANY_CONNECTIONS");
  CHECK(Json(*r)["message"] == "too many connections from this address");
  a.reset();  // the server sees EOF and releases the slot
  int status = 0;
  for (int i = 0; i < 100 && status != 200; ++i) {
    std::this_thread::sleep_for(10ms);
    status = Http(f.port(), "GET", "/healthz").status;
  }
  CHECK(status == 200);
}

TEST_CASE("a total connection cap refuses connections from any address", "[rpc]") {
  RpcConfig config;
  config.max_connections = 1;
  Fixture f(config);
  Conn a(f.port());
  REQUIRE(a.Send(BuildRequest("GET", "/healthz")));
  REQUIRE(a.Read().value_or(HttpResult{}).status == 200);
  Conn b(f.port());
  CHECK(b.Read().value_or(HttpResult{}).status == 503);
}

TEST_CASE("POST /v1/txs over the client's rate is 429 RATE_LIMITED with Retry-After",
          "[rpc][limits]") {
  RpcConfig config;
  config.tx_rate = 0.2;  // a token every 5 s
  config.tx_burst = 2;
  Fixture f(config);
  f.node.admit.code = node::AdmitCode::kAccepted;
  Conn c(f.port());
  for (int i = 0; i < 2; ++i) {
    const types::Tx tx =
        MakeRegisterIssuerTx(f.node.chain_id(), "r-union-" + std::to_string(i), f.node.admin());
    REQUIRE(c.Send(BuildRequest("POST", "/v1/txs", TxJson(tx, true), kJsonType)));
    REQUIRE(c.Read().value_or(HttpResult{}).status == 202);
  }
  const types::Tx tx = MakeRegisterIssuerTx(f.node.chain_id(), "r-union-x", f.node.admin());
  REQUIRE(c.Send(BuildRequest("POST", "/v1/txs?wait=commit", TxJson(tx, true), kJsonType)));
  auto r = c.Read();
  REQUIRE(r);
  CHECK(r->status == 429);
  const int retry_after = std::stoi(r->headers["retry-after"]);
  CHECK(retry_after >= 1);
  CHECK(retry_after <= 5);
  const json j = Json(*r);
  CHECK(j["code"] == "RATE_LIMITED");
  CHECK(j["message"].get<std::string>().find("retry after") != std::string::npos);
  CHECK(f.node.submit_calls == 2);  // the refused one never reached the node
  CHECK(f.node.wait_calls == 0);
  // Other routes are not limited by it, on the same connection.
  REQUIRE(c.Send(BuildRequest("GET", "/v1/status")));
  CHECK(c.Read().value_or(HttpResult{}).status == 200);
}

TEST_CASE("GET /v1/blocks ranges over the client's rate are 429 RATE_LIMITED", "[rpc][limits]") {
  RpcConfig config;
  config.block_range_rate = 0.1;
  config.block_range_burst = 1;
  Fixture f(config);
  CHECK(Http(f.port(), "GET", "/v1/blocks?from=0&limit=2").status == 200);
  auto r = Http(f.port(), "GET", "/v1/blocks?from=0&limit=2");
  CHECK(r.status == 429);
  CHECK(r.headers.count("retry-after") == 1);
  CHECK(Json(r)["code"] == "RATE_LIMITED");
  // Single blocks are cheap and not limited.
  CHECK(Http(f.port(), "GET", "/v1/blocks/1").status == 200);
}

TEST_CASE("commit waits beyond the client's cap are 429 TOO_MANY_WAITS until one ends",
          "[rpc][limits]") {
  RpcConfig config;
  config.max_commit_waits_per_client = 1;
  Fixture f(config);
  f.node.admit.code = node::AdmitCode::kAccepted;
  {
    std::lock_guard lock(f.node.mu);
    f.node.commit_at.reset();  // waits time out
  }
  const types::Tx tx1 = MakeRegisterIssuerTx(f.node.chain_id(), "w-union-1", f.node.admin());
  Conn waiter(f.port());
  REQUIRE(waiter.Send(
      BuildRequest("POST", "/v1/txs?wait=commit&timeout_ms=600", TxJson(tx1, true), kJsonType)));
  for (int i = 0; i < 200 && f.node.wait_calls == 0; ++i) std::this_thread::sleep_for(5ms);
  REQUIRE(f.node.wait_calls == 1);
  const types::Tx tx2 = MakeRegisterIssuerTx(f.node.chain_id(), "w-union-2", f.node.admin());
  auto refused =
      Http(f.port(), "POST", "/v1/txs?wait=commit&timeout_ms=600", TxJson(tx2, true), kJsonType);
  CHECK(refused.status == 429);
  CHECK(refused.headers["retry-after"] == "1");
  CHECK(Json(refused)["code"] == "TOO_MANY_WAITS");
  // Without a wait the same client is served.
  CHECK(Http(f.port(), "POST", "/v1/txs", TxJson(tx2, true), kJsonType).status == 202);
  REQUIRE(waiter.Read().value_or(HttpResult{}).status == 504);
  // The first wait ended: its slot is free again.
  auto again =
      Http(f.port(), "POST", "/v1/txs?wait=commit&timeout_ms=100", TxJson(tx2, true), kJsonType);
  CHECK(again.status == 504);
}

TEST_CASE("a transaction check that takes long holds no I/O thread: verify answers meanwhile",
          "[rpc][limits]") {
  RpcConfig config;
  config.threads = 1;
  config.work_threads = 1;
  Fixture f(config);
  f.node.admit.code = node::AdmitCode::kAccepted;
  f.node.submit_work_ms = 1500;
  const types::Tx tx = MakeRegisterIssuerTx(f.node.chain_id(), "slow-union", f.node.admin());
  Conn slow(f.port());
  REQUIRE(slow.Send(BuildRequest("POST", "/v1/txs", TxJson(tx, true), kJsonType)));
  for (int i = 0; i < 200 && f.node.submit_calls == 0; ++i) std::this_thread::sleep_for(5ms);
  REQUIRE(f.node.submit_calls == 1);
  const auto t0 = std::chrono::steady_clock::now();
  auto v = Http(f.port(), "POST", "/v1/verify", R"({"code": "not a card"})", kJsonType);
  CHECK(v.status == 200);
  CHECK(MsSince(t0) < 700);
  CHECK(slow.Read().value_or(HttpResult{}).status == 202);
}

TEST_CASE("expensive requests beyond the work queue are 429 BUSY", "[rpc][limits]") {
  RpcConfig config;
  config.work_threads = 1;
  config.work_queue = 1;
  Fixture f(config);
  f.node.admit.code = node::AdmitCode::kAccepted;
  f.node.submit_work_ms = 800;
  std::vector<std::unique_ptr<Conn>> conns;
  for (int i = 0; i < 2; ++i) {
    const types::Tx tx =
        MakeRegisterIssuerTx(f.node.chain_id(), "q-union-" + std::to_string(i), f.node.admin());
    conns.push_back(std::make_unique<Conn>(f.port()));
    REQUIRE(conns.back()->Send(BuildRequest("POST", "/v1/txs", TxJson(tx, true), kJsonType)));
    // The first is running before the second is sent; the second then waits in the queue.
    for (int k = 0; k < 200 && f.node.submit_calls == 0; ++k) std::this_thread::sleep_for(5ms);
  }
  std::this_thread::sleep_for(100ms);
  const types::Tx tx = MakeRegisterIssuerTx(f.node.chain_id(), "q-union-x", f.node.admin());
  auto busy = Http(f.port(), "POST", "/v1/txs", TxJson(tx, true), kJsonType);
  CHECK(busy.status == 429);
  CHECK(busy.headers["retry-after"] == "1");
  CHECK(Json(busy)["code"] == "BUSY");
  for (auto& c : conns) CHECK(c->Read().value_or(HttpResult{}).status == 202);
}

TEST_CASE("stopping with a commit wait outstanding drops the late answer safely", "[rpc]") {
  Fixture f;
  const types::Tx tx = MakeRegisterIssuerTx(f.node.chain_id(), "s-union", f.node.admin());
  Conn waiter(f.port());
  REQUIRE(waiter.Send(
      BuildRequest("POST", "/v1/txs?wait=commit&timeout_ms=300", TxJson(tx, true), kJsonType)));
  for (int i = 0; i < 200 && f.node.wait_calls == 0; ++i) std::this_thread::sleep_for(5ms);
  REQUIRE(f.node.wait_calls == 1);
  f.server->Stop();
  f.server.reset();
  std::this_thread::sleep_for(450ms);  // the fake node's timeout callback fires after Stop
  CHECK(waiter.ClosedByPeer(1000ms));
}

TEST_CASE("Start refuses a bad config and an address in use", "[rpc]") {
  FakeNode node;
  RpcConfig zero_threads;
  zero_threads.threads = 0;
  CHECK(RpcServer::Start(zero_threads, node).status().code() == StatusCode::kInvalidArgument);
  RpcConfig no_rate;
  no_rate.tx_rate = 0;
  CHECK(RpcServer::Start(no_rate, node).status().code() == StatusCode::kInvalidArgument);
  RpcConfig no_workers;
  no_workers.work_threads = 0;
  CHECK(RpcServer::Start(no_workers, node).status().code() == StatusCode::kInvalidArgument);
  RpcConfig bad_host;
  bad_host.host = "no-such-host.invalid";
  CHECK_FALSE(RpcServer::Start(bad_host, node).ok());
  auto first = RpcServer::Start(RpcConfig{}, node);
  REQUIRE(first.ok());
  RpcConfig same;
  same.port = (*first)->port();
  auto second = RpcServer::Start(same, node);
  CHECK(second.status().code() == StatusCode::kIoError);
}

}  // namespace
}  // namespace laurel::rpc::test
