#include "cli/rpc_client.h"

#include <charconv>
#include <cmath>
#include <cstdlib>

namespace laurel::cli {

std::string DefaultRpcUrl() {
  const char* env = std::getenv("LAUREL_RPC");
  if (env != nullptr && *env != '\0') return env;
  return "http://127.0.0.1:8700";
}

std::string UrlEscape(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    const bool unreserved = (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') ||
                            (u >= '0' && u <= '9') || u == '-' || u == '_' || u == '.' || u == '~';
    if (unreserved) {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 0xF];
    }
  }
  return out;
}

std::optional<uint64_t> JsonU64(const Json& obj, std::string_view key) {
  if (!obj.is_object()) return std::nullopt;
  const auto it = obj.find(key);
  if (it == obj.end()) return std::nullopt;
  if (it->is_number_unsigned()) return it->get<uint64_t>();
  if (it->is_number_integer()) {
    const auto v = it->get<int64_t>();
    if (v < 0) return std::nullopt;
    return static_cast<uint64_t>(v);
  }
  if (it->is_string()) {
    const auto& s = it->get_ref<const std::string&>();
    uint64_t v = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
    return v;
  }
  return std::nullopt;
}

uint64_t JsonU64Or0(const Json& obj, std::string_view key) { return JsonU64(obj, key).value_or(0); }

std::string JsonStr(const Json& obj, std::string_view key) {
  if (!obj.is_object()) return "";
  const auto it = obj.find(key);
  if (it == obj.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

Result<std::unique_ptr<RpcClient>> RpcClient::Open(const std::string& url) {
  auto u = ParseUrl(url);
  if (!u.ok()) return Status::InvalidArgument("--rpc: " + u.status().message());
  return std::unique_ptr<RpcClient>(new RpcClient(std::move(u).value()));
}

Result<RpcClient::Answer> RpcClient::Request(std::string_view method, const std::string& target,
                                             std::string_view content_type, std::string_view body) {
  auto r = conn_.Do(method, target, content_type, body, "application/json");
  if (!r.ok()) {
    return Status::Unavailable("cannot reach node at " + url_text_ + ": " + r.status().message());
  }
  Answer a;
  a.status = r->status;
  a.body = std::move(r->body);
  a.json = Json::parse(a.body, nullptr, /*allow_exceptions=*/false);
  return a;
}

Status RpcClient::ErrorOf(std::string_view method, const std::string& target,
                          const Answer& a) const {
  std::string what = std::string(method) + " " + target + " at " + url_text_;
  std::string detail;
  const std::string code = JsonStr(a.json, "code");
  const std::string message = JsonStr(a.json, "message");
  if (!code.empty() || !message.empty()) {
    detail = code.empty() ? message : message.empty() ? code : code + ": " + message;
  } else {
    detail = "HTTP " + std::to_string(a.status) + " " + a.body.substr(0, 200);
  }
  if (a.status >= 400 && a.status < 500) {
    return Status::InvalidArgument(detail + " (" + what + ")");
  }
  return Status::Unavailable("node at " + url_text_ + " failed " + std::string(method) + " " +
                             target + ": HTTP " + std::to_string(a.status) + ": " + detail);
}

Result<Json> RpcClient::Get(const std::string& target) {
  LAUREL_ASSIGN_OR_RETURN(Answer a, Request("GET", target, {}, {}));
  if (a.status < 200 || a.status >= 300) return ErrorOf("GET", target, a);
  if (!a.json.is_object()) {
    return Status::Unavailable("node at " + url_text_ + " answered GET " + target +
                               " with something that is not a JSON object");
  }
  return std::move(a.json);
}

Result<Json> RpcClient::PostJson(const std::string& target, const Json& body) {
  LAUREL_ASSIGN_OR_RETURN(Answer a, Request("POST", target, "application/json", body.dump()));
  if (a.status < 200 || a.status >= 300) return ErrorOf("POST", target, a);
  if (!a.json.is_object()) {
    return Status::Unavailable("node at " + url_text_ + " answered POST " + target +
                               " with something that is not a JSON object");
  }
  return std::move(a.json);
}

Result<TxOutcome> RpcClient::SubmitTx(const types::Tx& tx, bool wait) {
  const std::string target = wait ? "/v1/txs?wait=commit&timeout_ms=60000" : "/v1/txs";
  const Bytes wire = types::EncodeTx(tx);
  LAUREL_ASSIGN_OR_RETURN(Answer a,
                          Request("POST", target, "application/x-protobuf", AsStringView(wire)));
  TxOutcome o;
  o.tx_id = HexEncode(types::TxId(tx));
  o.json = a.json;
  const std::string code = JsonStr(a.json, "code");
  if (a.status == 400 && code == "INVALID_TX") {
    o.refused = true;
    o.result = JsonStr(a.json, "tx_code");
    if (o.result.empty()) o.result = code;
    o.message = JsonStr(a.json, "message");
    return o;
  }
  if (a.status == 504 && JsonStr(a.json, "status") == "pending") {
    o.message = JsonStr(a.json, "message");
    return o;
  }
  if (a.status < 200 || a.status >= 300) return ErrorOf("POST", "/v1/txs", a);
  if (!a.json.is_object()) {
    return Status::Unavailable("node at " + url_text_ +
                               " answered POST /v1/txs with something that is not JSON");
  }
  if (const std::string id = JsonStr(a.json, "tx_id"); !id.empty()) o.tx_id = id;
  o.committed = JsonStr(a.json, "status") == "committed";
  if (o.committed) {
    o.height = JsonU64Or0(a.json, "height");
    o.position = JsonU64Or0(a.json, "position");
    o.result = JsonStr(a.json, "result");
    // An older node may name the result by number (0 = OK).
    if (o.result.empty()) {
      if (auto n = JsonU64(a.json, "result")) o.result = *n == 0 ? "OK" : std::to_string(*n);
    }
  } else {
    o.message = "accepted, not yet committed (" + JsonStr(a.json, "admission") + ")";
  }
  return o;
}

}  // namespace laurel::cli
