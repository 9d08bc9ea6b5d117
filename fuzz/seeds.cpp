// Writes the seed corpora of the fuzz targets (fuzz/corpus/<target>/) from the project's own
// encoders, so that every target starts from valid inputs of every kind:
//
//   build-fuzz/fuzz/laurel-fuzz-seeds fuzz/corpus
//
// The output is deterministic (fixed keys, Ed25519 signatures are deterministic); running it
// again rewrites the same files.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>

#include "cli/qr.h"
#include "consensus/codec.h"
#include "consensus/safety_rules.h"
#include "crypto/keyfile.h"
#include "fuzz/fixture.h"
#include "fuzz/gate_world.h"
#include "laurel/v1/tx.pb.h"
#include "ledger/genesis_io.h"
#include "ledger/state.h"
#include "node/net/frame_codec.h"
#include "node/payload.h"
#include "node/wire.h"
#include "rpc/routes.h"
#include "storage/keys.h"
#include "types/presentation.h"
#include "types/proto_json.h"

namespace {
using namespace laurel;
namespace cs = laurel::consensus;
namespace fs = std::filesystem;

fs::path root;

void Put(const std::string& target, const std::string& name, std::string_view bytes) {
  const fs::path dir = root / target;
  fs::create_directories(dir);
  std::ofstream(dir / name, std::ios::binary).write(bytes.data(), std::streamsize(bytes.size()));
}
void Put(const std::string& target, const std::string& name, ByteView bytes) {
  Put(target, name, AsStringView(bytes));
}
// A seed for a target whose first byte selects the decoder.
void PutSel(const std::string& target, const std::string& name, uint8_t sel, ByteView bytes) {
  std::string s(1, char(sel));
  s.append(AsStringView(bytes));
  Put(target, name, s);
}

types::Tx Signed(types::Action action, uint8_t key, const std::string& nonce) {
  types::TxBody body{fuzz::kChainId, ToBytes(nonce), 1000, std::move(action)};
  types::Tx tx = types::MakeTx(body);
  types::SignTx(tx, fuzz::Key(key));
  return tx;
}

std::vector<std::pair<std::string, types::Tx>> AllTxs() {
  const auto card_digest = types::CardDigest(types::EncodeCardBody(fuzz::FixtureCardBody()));
  const Bytes digest(card_digest.begin(), card_digest.end());
  std::vector<std::pair<std::string, types::Tx>> v;
  v.emplace_back("register_issuer",
                 Signed(types::RegisterIssuer{"acme-union", "Acme 工会", "city-fed",
                                              fuzz::PublicKeyBytes(10),
                                              {types::TypeGrant{types::CredentialType::kModelWorker,
                                                                {types::Level::kDistrict}}},
                                              false},
                        9, "n1"));
  v.emplace_back("rotate_issuer_key",
                 Signed(types::RotateIssuerKey{"city-fed", fuzz::PublicKeyBytes(11)}, 5, "n2"));
  v.emplace_back("set_issuer_status",
                 Signed(types::SetIssuerStatus{"acme-union", types::IssuerStatus::kSuspended,
                                               "审计 audit"},
                        9, "n3"));
  v.emplace_back("issue_credential", fuzz::FixtureBlock1().front());
  v.emplace_back("set_credential_status",
                 Signed(types::SetCredentialStatus{"c-1", types::CredentialStatus::kRevoked, "lost"},
                        9, "n4"));
  v.emplace_back("renew_credential",
                 Signed(types::RenewCredential{"c-1", digest, 10, 20}, 9, "n5"));
  v.emplace_back("update_governance",
                 Signed(types::UpdateGovernance{{fuzz::PublicKeyBytes(5), fuzz::PublicKeyBytes(6)}, 2},
                        5, "n6"));
  v.emplace_back("update_validator_set",
                 Signed(types::UpdateValidatorSet{fuzz::FixtureGenesis().validators}, 5, "n7"));
  return v;
}

struct Chain {
  cs::Block genesis = cs::GenesisBlock(1, fuzz::kChainId);
  cs::Block b1, b2;
  cs::QuorumCert qc1, qc2;
  cs::TimeoutCert tc;
};

cs::QuorumCert Certify(const cs::Block& b) {
  cs::QuorumCert qc;
  qc.data = cs::VoteDataFor(b);
  for (uint32_t i = 0; i < 3; ++i) {
    qc.signatures.emplace_back(i, cs::SignVote(qc.data, i, fuzz::Key(uint8_t(i + 1))).signature);
  }
  return qc;
}

Chain MakeChain() {
  Chain c;
  c.b1.epoch = 1;
  c.b1.round = 1;
  c.b1.height = 1;
  c.b1.parent_id = c.genesis.id;
  c.b1.qc = cs::GenesisQc(c.genesis);
  c.b1.payload = node::EncodePayload(fuzz::FixtureBlock1());
  c.b1.timestamp_ms = 1'700'000'001'000;
  c.b1.proposer = 1;
  cs::SignBlock(c.b1, fuzz::Key(2));
  c.qc1 = Certify(c.b1);
  c.b2.epoch = 1;
  c.b2.round = 2;
  c.b2.height = 2;
  c.b2.parent_id = c.b1.id;
  c.b2.qc = c.qc1;
  c.b2.timestamp_ms = 1'700'000'002'000;
  c.b2.proposer = 2;
  cs::SignBlock(c.b2, fuzz::Key(3));
  c.qc2 = Certify(c.b2);
  c.tc.epoch = 1;
  c.tc.round = 3;
  c.tc.high_qc = c.qc2;
  for (uint32_t i = 0; i < 3; ++i) {
    const auto t = cs::SignTimeout(c.genesis.id, 1, 3, c.qc2, i, fuzz::Key(uint8_t(i + 1)));
    c.tc.entries.push_back({i, 2, t.signature});
  }
  return c;
}

// A digest batch of validator 0 (key 1) holding `txs`, expiring at height 10.
node::Batch SomeDigestBatch(const std::vector<Bytes>& txs) {
  node::Batch b;
  b.epoch = 1;
  b.author = 0;
  b.batch_id = 1;
  b.expires_at_height = 10;
  b.txs = txs;
  return b;
}

// A proof of availability of `b` signed by validators 0 and 1 (keys 1 and 2).
node::ProofOfAvailability SomeProof(const node::Batch& b) {
  node::ProofOfAvailability p;
  p.info = node::InfoOf(fuzz::kChainId, b);
  for (uint8_t i = 1; i <= 2; ++i) {
    p.signatures.emplace_back(i - 1,
                              fuzz::Key(i).Sign(node::BatchAckSignBytes(fuzz::kChainId, p.info)));
  }
  return p;
}

std::vector<std::pair<std::string, node::WireMessage>> AllWire(const Chain& c) {
  const cs::SyncInfo sync{c.qc1, cs::GenesisQc(c.genesis), std::nullopt};
  const cs::SyncInfo sync_tc{c.qc2, c.qc1, c.tc};
  node::StateAttestation a{0, 1, c.b1.id, Hash32{}, Hash32{}, c.b1.timestamp_ms, Hash32{}, 2, {}};
  a.signature = fuzz::Key(3).Sign(node::AttestationSignBytes(fuzz::kChainId, a));
  node::TxBatchMsg batch;
  for (const auto& [name, tx] : AllTxs()) batch.txs.push_back(types::EncodeTx(tx));
  std::vector<std::pair<std::string, node::WireMessage>> v;
  v.emplace_back("proposal", cs::Message(cs::ProposalMsg{c.b2, sync}));
  v.emplace_back("proposal_payload", cs::Message(cs::ProposalMsg{c.b1, sync_tc}));
  v.emplace_back("vote", cs::Message(cs::VoteMsg{cs::SignVote(cs::VoteDataFor(c.b2), 3, fuzz::Key(4)),
                                                 sync}));
  v.emplace_back("timeout",
                 cs::Message(cs::TimeoutMsg{
                     cs::SignTimeout(c.genesis.id, 1, 3, c.qc2, 3, fuzz::Key(4)), sync_tc}));
  v.emplace_back("sync", cs::Message(cs::SyncMsg{sync_tc}));
  v.emplace_back("fetch_request", node::FetchRequestMsg{c.b2.id, 2});
  v.emplace_back("fetch_response", node::FetchResponseMsg{{c.b1, c.b2}});
  v.emplace_back("tx_batch", batch);
  v.emplace_back("sync_request", node::SyncRequestMsg{1, 64});
  v.emplace_back("sync_response",
                 node::SyncResponseMsg{2, {node::SyncBlock{c.b1, c.qc1, c.qc2, std::nullopt}}});
  v.emplace_back("attestation", node::AttestationMsg{a});
  v.emplace_back("hello", node::HelloMsg{2});
  const node::Batch qb = SomeDigestBatch(batch.txs);
  const node::BatchInfo qi = node::InfoOf(fuzz::kChainId, qb);
  v.emplace_back("batch", node::BatchMsg{qb});
  node::BatchAck ack{qi, 2, {}};
  ack.signature = fuzz::Key(3).Sign(node::BatchAckSignBytes(fuzz::kChainId, qi));
  v.emplace_back("batch_ack", node::BatchAckMsg{ack});
  v.emplace_back("batch_request", node::BatchRequestMsg{qi});
  v.emplace_back("batch_response", node::BatchResponseMsg{qi, qb});
  v.emplace_back("batch_response_none", node::BatchResponseMsg{qi, std::nullopt});
  v.emplace_back("proof", node::ProofMsg{SomeProof(qb)});
  node::SyncBlock with_batches{c.b1, c.qc1, c.qc2, std::nullopt};
  with_batches.batches = {qb.txs};
  v.emplace_back("sync_response_batches", node::SyncResponseMsg{2, {with_batches}});
  return v;
}

std::string Request(const std::string& method, const std::string& target,
                    const std::string& content_type, const std::string& body,
                    const std::string& accept = "") {
  std::string s = method + " " + target + "\n";
  if (!content_type.empty()) s += "Content-Type: " + content_type + "\n";
  if (!accept.empty()) s += "Accept: " + accept + "\n";
  if (method == "POST") s += "Content-Length: " + std::to_string(body.size()) + "\n";
  return s + "\n" + body;
}

std::string Hex(const Hash32& h) { return HexEncode(h); }

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: laurel-fuzz-seeds CORPUS_DIR\n";
    return 2;
  }
  root = argv[1];
  const Chain chain = MakeChain();
  const types::Card card = fuzz::FixtureCard();
  const std::string card_text = types::CardToText(card);

  // base45 and the other encodings.
  Put("base45", "rfc-hello", std::string_view("%69 VD92EX0"));
  Put("base45", "rfc-ietf", std::string_view("QED8WEX0"));
  Put("base45", "card", std::string_view(card_text).substr(types::kCardPrefix.size()));
  Put("encodings", "hex", HexEncode(chain.b1.id));
  Put("encodings", "base64", Base64Encode(ToBytes("laurel 工会 card")));
  Put("encodings", "page-token", storage::keys::EncodePageToken("c-1/00000001"));

  // Transactions, payloads, cards.
  std::vector<types::Tx> txs;
  for (const auto& [name, tx] : AllTxs()) {
    Put("tx", name, types::EncodeTx(tx));
    txs.push_back(tx);
    v1::Tx m;
    const Bytes wire = types::EncodeTx(tx);
    m.ParseFromArray(wire.data(), int(wire.size()));
    PutSel("json", "tx-" + name, 0, AsBytes(types::MessageToJson(m, false)));
    v1::TxBody body;
    body.ParseFromArray(tx.body.data(), int(tx.body.size()));
    PutSel("json", "body-" + name, 1, AsBytes(types::MessageToJson(body)));
  }
  PutSel("json", "ip4", 2, AsBytes("192.0.2.7"));
  PutSel("json", "ip6", 2, AsBytes("2001:db8::ffff:1.2.3.4"));
  PutSel("json", "percent", 3, AsBytes("c%2D1+%E5%B7%A5"));
  Put("payload", "one", node::EncodePayload({txs.front()}));
  Put("payload", "all", node::EncodePayload(txs));
  {
    std::vector<Bytes> wires;
    for (const auto& tx : txs) wires.push_back(types::EncodeTx(tx));
    const node::Batch b = SomeDigestBatch(wires);
    PutSel("batch", "payload", 0, node::EncodeBatchPayload({SomeProof(b)}));
    consensus::Writer w;
    node::EncodeBatch(w, b);
    PutSel("batch", "batch", 1, w.Take());
  }
  Put("card", "card", types::EncodeCard(card));
  Put("card", "body", types::EncodeCardBody(fuzz::FixtureCardBody()));
  Put("card_text", "card", card_text);
  Put("card_text", "card-spaces", "  " + card_text + "\n");
  {
    // A card bound to a device key, and the device's presentations of it.
    const auto device = crypto::PrivateKey::FromSeed(Bytes(32, 5)).value();
    types::CardBody bound = fuzz::FixtureCardBody();
    bound.holder_key.assign(device.public_key().begin(), device.public_key().end());
    Put("card", "bound-body", types::EncodeCardBody(bound));
    types::PresentationBody slot;
    slot.credential_id = bound.credential_id;
    slot.gate_id = "G1";
    slot.kind = types::ChallengeKind::kSlot;
    slot.slot = types::SlotOf(1'750'000'000);
    types::PresentationBody nonce = slot;
    nonce.kind = types::ChallengeKind::kNonce;
    nonce.nonce = Bytes(16, 3);
    for (const auto& [name, body] : {std::pair{"slot", slot}, std::pair{"nonce", nonce}}) {
      const auto p = types::SignPresentation(body, device).value();
      Put("presentation", name, types::EncodePresentation(p));
      Put("presentation", std::string(name) + "-text", types::PresentationToText(p));
    }
  }
  if (auto png = cli::EncodeQrPng(card_text); png.ok()) Put("qr", "card.png", *png);

  // P2P: wire messages, frames, consensus objects, stored records.
  Bytes stream;
  for (const auto& [name, m] : AllWire(chain)) {
    const Bytes w = node::EncodeWire(m);
    Put("wire", name, w);
    const auto h = net::EncodeFrameHeader(uint32_t(w.size()));
    if (w.size() < 300) {
      stream.insert(stream.end(), h.begin(), h.end());
      stream.insert(stream.end(), w.begin(), w.end());
    }
  }
  stream.insert(stream.begin(), {0xff, 0x03});
  Put("frame", "stream", stream);
  auto enc = [](auto fn, const auto& v) {
    cs::Writer w;
    fn(w, v);
    return w.Take();
  };
  PutSel("consensus_codec", "vote_data", 0, enc(cs::EncodeVoteData, chain.qc1.data));
  PutSel("consensus_codec", "qc", 1, enc(cs::EncodeQc, chain.qc2));
  PutSel("consensus_codec", "vote", 2,
         enc(cs::EncodeVote, cs::SignVote(chain.qc1.data, 0, fuzz::Key(1))));
  PutSel("consensus_codec", "tc", 3, enc(cs::EncodeTc, chain.tc));
  PutSel("consensus_codec", "block", 4, enc(cs::EncodeBlock, chain.b1));

  node::StateCertificate cert;
  cert.data = node::StateAttestation{0, 1, chain.b1.id, Hash32{}, Hash32{}, 5, Hash32{}, 0, {}};
  for (uint32_t i = 0; i < 3; ++i) {
    cert.signatures.emplace_back(
        i, fuzz::Key(uint8_t(i + 1)).Sign(node::AttestationSignBytes(fuzz::kChainId, cert.data)));
  }
  PutSel("records", "state_certificate", 0, node::EncodeStateCertificate(cert));
  PutSel("records", "commit_proof", 1, node::EncodeCommitProof(chain.qc1, chain.qc2));
  PutSel("records", "stored_header", 2, node::EncodeStoredHeader(chain.b1, true));
  PutSel("records", "stored_header_stripped", 2, node::EncodeStoredHeader(chain.b1, false));
  cs::SafetyRecord sr;
  sr.epoch = 1;
  sr.last_voted_round = 3;
  sr.one_chain_round = 2;
  sr.highest_timeout_round = 3;
  sr.last_vote = cs::SignVote(chain.qc2.data, 0, fuzz::Key(1));
  sr.one_chain_qc = chain.qc2;
  sr.last_tc = chain.tc;
  PutSel("records", "safety_record", 3, cs::EncodeSafetyRecord(sr));
  // The state records of the fixture chain, each under the selector of its decoder.
  {
    const auto result = ledger::ExecuteGenesis(fuzz::FixtureGenesis());
    std::vector<std::string> values;
    for (const auto& [k, v] : result.writes) values.push_back(v);
    auto store = storage::NewMemoryStore();
    (void)storage::test::CommitGenesis(*store, fuzz::FixtureGenesis());
    ledger::Executor exec(fuzz::kChainId);
    const auto g = fuzz::FixtureGenesis();
    auto r = storage::test::ExecuteAndCommit(*store, exec, g, (*store->GetBlock(0))->block_id,
                                             fuzz::FixtureBlock1());
    if (r.ok()) {
      for (const auto& [k, v] : r->writes) values.push_back(v);
    }
    int n = 0;
    for (const auto& v : values) {
      const auto b = AsBytes(v);
      if (ledger::DecodeGovernance(v).ok()) PutSel("records", "gov" + std::to_string(n), 4, b);
      if (ledger::DecodeIssuer(v).ok()) PutSel("records", "issuer" + std::to_string(n), 5, b);
      if (ledger::DecodeCredential(v).ok()) PutSel("records", "cred" + std::to_string(n), 6, b);
      ++n;
    }
  }

  // Documents: genesis, issuers, config, key files.
  const auto genesis_json = ledger::GenesisToJson(fuzz::FixtureGenesis());
  Put("genesis", "genesis.json", *genesis_json);
  {
    std::string issuers = "[";
    for (const auto& [name, tx] : AllTxs()) {
      auto body = types::DecodeTxBody(tx.body);
      if (body.ok() && std::holds_alternative<types::RegisterIssuer>(body->action)) {
        v1::TxBody m;
        m.ParseFromArray(tx.body.data(), int(tx.body.size()));
        issuers += types::MessageToJson(m.register_issuer(), false);
      }
    }
    Put("genesis", "issuers.json", issuers + "]");
  }
  Put("config", "node.toml", std::string_view(R"(name = "node0 节点"
data_dir = "data"
genesis = "../genesis.json"
key_file = "node.key"

[p2p]
listen = "127.0.0.1:8800"
peers = ["8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c@127.0.0.1:8801", "8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c@[::1]:8802"]
max_frame_bytes = 4194304

[rpc]
listen = "0.0.0.0:8700"
threads = 2
max_body_bytes = 1048576

[rpc.limits]
max_connections = 1024
max_connections_per_ip = 64
max_connections_per_ipv6_64 = 256
tx_rate = 1000.5
tx_burst = 2000
block_range_rate = 20
block_range_burst = 40
max_commit_waits_per_client = 32
work_threads = 2
work_queue = 256

[consensus]
round_timeout_ms = 1500
max_round_timeout_ms = 10000
payload_wait_ms = 200

[mempool]
max_txs = 200000
max_bytes = 268435456
max_txs_per_signer = 50000
max_bytes_per_signer = 67108864

[block]
max_txs = 4000
max_bytes = 3145728

[log]
level = "info"

[p2p.limits]
handshake_timeout_ms = 5000
max_pending_handshakes = 64
max_pending_handshakes_per_ip = 4
reserved_peer_handshakes = 16
)"));
  Put("config", "hostport", std::string_view("validator-1.example:8800"));
  {
    const fs::path tmp = fs::temp_directory_path() / ("laurel-fuzz-seeds-" + std::to_string(::getpid()));
    fs::create_directories(tmp);
    const auto read = [](const fs::path& p) {
      std::ifstream in(p, std::ios::binary);
      return std::string(std::istreambuf_iterator<char>(in), {});
    };
    if (crypto::WriteKeyFile((tmp / "plain.key").string(), fuzz::Key(1)).ok()) {
      Put("keyfile", "plain.key", read(tmp / "plain.key"));
    }
    if (crypto::WriteKeyFile((tmp / "enc.key").string(), fuzz::Key(2), std::string("口令 pass")).ok()) {
      Put("keyfile", "encrypted.key", read(tmp / "enc.key"));
    }
    fs::remove_all(tmp);
  }

  // HTTP requests for every route, and a block range as GET /v1/blocks serves it (audit).
  fuzz::FuzzNode node;
  const rpc::Router router = rpc::BuildRouter(node);
  const std::string tx1 = Hex(types::TxId(fuzz::FixtureBlock1().front()));
  std::vector<std::pair<std::string, std::string>> reqs = {
      {"status", Request("GET", "/v1/status", "", "")},
      {"healthz", Request("GET", "/healthz", "", "")},
      {"readyz", Request("GET", "/readyz", "", "")},
      {"metrics", Request("GET", "/metrics", "", "")},
      {"genesis", Request("GET", "/v1/genesis", "", "")},
      {"latest", Request("GET", "/v1/blocks/latest", "", "", "application/x-protobuf")},
      {"block1", Request("GET", "/v1/blocks/1", "", "")},
      {"blocks", Request("GET", "/v1/blocks?from=0&limit=2", "", "")},
      {"get_tx", Request("GET", "/v1/txs/" + tx1, "", "")},
      {"credential", Request("GET", "/v1/credentials/c-1", "", "")},
      {"credential_history", Request("GET", "/v1/credentials/c-1/history?limit=1", "", "")},
      {"issuers", Request("GET", "/v1/issuers?limit=5", "", "")},
      {"issuer", Request("GET", "/v1/issuers/city-fed", "", "")},
      {"issuer_history", Request("GET", "/v1/issuers/city-fed/history", "", "")},
      {"verify", Request("POST", "/v1/verify", "application/json",
                         "{\"code\":\"" + card_text + "\"}")},
  };
  for (const auto& [name, tx] : AllTxs()) {
    v1::Tx m;
    const Bytes wire = types::EncodeTx(tx);
    m.ParseFromArray(wire.data(), int(wire.size()));
    reqs.emplace_back("post_tx_json_" + name,
                      Request("POST", "/v1/txs?wait=commit&timeout_ms=10", "application/json",
                              types::MessageToJson(m, false)));
  }
  reqs.emplace_back("post_tx_proto",
                    Request("POST", "/v1/txs", "application/x-protobuf",
                            std::string(AsStringView(types::EncodeTx(txs.front())))));
  for (const auto& [name, r] : reqs) Put("rpc", name, r);

  rpc::HttpRequest req;
  req.method = "GET";
  req.target = "/v1/blocks?from=0&limit=10";
  req.accept = "application/x-protobuf";
  std::string range;
  router.Dispatch(req, [&](rpc::HttpResponse r) { range = r.body; });
  Put("audit", "range", range);

  // The gate bundle: the served gzip, full bundles and a delta (fuzz/gate_world.h).
  {
    const auto& w = fuzz::GateWorld::Get();
    auto raw = [](const ::laurel::v1::GateBundle& b) { return b.SerializeAsString(); };
    PutSel("gate_bundle", "gzip-full1", 0, AsBytes(gate::EncodeBundle(w.full1)));
    PutSel("gate_bundle", "gzip-delta2", 0, AsBytes(gate::EncodeBundle(w.delta2)));
    PutSel("gate_bundle", "full1", 1, AsBytes(raw(w.full1)));
    PutSel("gate_bundle", "full2", 1, AsBytes(raw(w.full2)));
    PutSel("gate_bundle", "delta2", 2, AsBytes(raw(w.delta2)));
  }
  std::cout << "seeds written to " << root << "\n";
  return 0;
}
