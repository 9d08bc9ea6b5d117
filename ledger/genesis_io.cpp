#include "ledger/genesis_io.h"


#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "common/check.h"
#include "laurel/v1/genesis.pb.h"
#include "laurel/v1/tx.pb.h"
#include "types/proto_json.h"
#include "types/proto_util.h"

namespace laurel::ledger {
namespace {

namespace pb = ::laurel::v1;

// The issuer conversions go through a TxBody so that they share the codec (and its enum
// checks) of types/ instead of repeating it.
Result<types::RegisterIssuer> IssuerFromProto(const pb::RegisterIssuer& m, size_t index) {
  pb::TxBody body;
  *body.mutable_register_issuer() = m;
  auto decoded = types::DecodeTxBody(types::SerializeDeterministic(body));
  if (!decoded.ok()) {
    return Status::InvalidArgument("issuer #" + std::to_string(index) + ": " +
                                   decoded.status().message());
  }
  return std::get<types::RegisterIssuer>(std::move(decoded->action));
}

pb::RegisterIssuer IssuerToProto(const types::RegisterIssuer& issuer) {
  pb::TxBody body;
  const Bytes bytes = types::EncodeTxBody(types::TxBody{"", {}, 0, issuer});
  // Our own encoding always parses.
  LAUREL_CHECK(body.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())),
               "EncodeTxBody output does not parse");
  return body.register_issuer();
}

Result<Genesis> FromProto(const pb::Genesis& m) {
  Genesis g;
  g.chain_id = m.chain_id();
  g.genesis_time_ms = m.genesis_time_ms();
  for (const auto& v : m.validators()) {
    g.validators.push_back(types::Validator{ToBytes(v.public_key()), v.name(), v.address()});
  }
  for (const auto& k : m.admin_keys()) g.admin_keys.push_back(ToBytes(k));
  g.threshold = m.threshold();
  for (int i = 0; i < m.issuers_size(); ++i) {
    LAUREL_ASSIGN_OR_RETURN(auto issuer, IssuerFromProto(m.issuers(i), static_cast<size_t>(i)));
    g.issuers.push_back(std::move(issuer));
  }
  return g;
}

pb::Genesis ToProto(const Genesis& g) {
  pb::Genesis m;
  m.set_chain_id(g.chain_id);
  m.set_genesis_time_ms(g.genesis_time_ms);
  for (const auto& v : g.validators) {
    auto* pv = m.add_validators();
    pv->set_public_key(ToString(v.public_key));
    pv->set_name(v.name);
    pv->set_address(v.address);
  }
  for (const auto& k : g.admin_keys) m.add_admin_keys(ToString(k));
  m.set_threshold(g.threshold);
  for (const auto& issuer : g.issuers) *m.add_issuers() = IssuerToProto(issuer);
  return m;
}

Status Validate(const Genesis& g) {
  const Status st = ValidateGenesis(g);
  if (!st.ok()) {
    // ValidateGenesis messages already start with "genesis: ".
    const std::string_view m = st.message();
    return Status::InvalidArgument("invalid genesis: " +
                                   std::string(m.rfind("genesis: ", 0) == 0 ? m.substr(9) : m));
  }
  return Status::Ok();
}

}  // namespace

Result<Genesis> ParseGenesisJson(std::string_view json) {
  pb::Genesis m;
  LAUREL_RETURN_IF_ERROR(types::JsonToMessage(json, &m));
  LAUREL_ASSIGN_OR_RETURN(Genesis g, FromProto(m));
  LAUREL_RETURN_IF_ERROR(Validate(g));
  return g;
}

Result<std::string> GenesisToJson(const Genesis& g) {
  LAUREL_RETURN_IF_ERROR(Validate(g));
  return types::MessageToJson(ToProto(g)) + "\n";
}

Result<std::vector<types::RegisterIssuer>> ParseIssuersJson(std::string_view json) {
  const auto j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (!j.is_array()) {
    return Status::InvalidArgument("expected a JSON array of laurel.v1.RegisterIssuer objects");
  }
  std::vector<types::RegisterIssuer> out;
  for (size_t i = 0; i < j.size(); ++i) {
    pb::RegisterIssuer m;
    const Status st = types::JsonToMessage(j[i].dump(), &m);
    if (!st.ok())
      return Status::InvalidArgument("issuer #" + std::to_string(i) + ": " + st.message());
    LAUREL_ASSIGN_OR_RETURN(auto issuer, IssuerFromProto(m, i));
    out.push_back(std::move(issuer));
  }
  return out;
}

Result<Genesis> LoadGenesis(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    if (err == ENOENT) return Status::NotFound(path + ": no such file");
    return Status::IoError("cannot open " + path + ": " + std::strerror(err));
  }
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad()) return Status::IoError("cannot read " + path);
  auto g = ParseGenesisJson(text);
  if (!g.ok()) return Status(g.status().code(), path + ": " + g.status().message());
  return g;
}

}  // namespace laurel::ledger
