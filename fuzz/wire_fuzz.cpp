// Every P2P message a peer can send (node/wire.h): consensus proposals, votes, timeouts and
// sync infos, block fetch and sync requests/responses, transaction batches, attestations,
// Hello and the digest-batch messages (batch, ack, request, response). Decoding never crashes;
// a decoded message re-encodes to exactly the input bytes (the encoding is canonical); and the
// checks a node runs next on a decoded message (signature verification against a 4-validator
// set, commit proofs of synced blocks, payload and transaction decoding, batch acks) never crash
// either. Signatures are accepted by a permissive checker so that the structural checks behind
// them are reached.
#include "consensus/validator_set.h"
#include "fuzz/fuzz_util.h"
#include "node/commit_proof.h"
#include "node/payload.h"
#include "node/wire.h"
#include "types/tx.h"

namespace {
using namespace laurel;
namespace cs = laurel::consensus;

class AcceptAll : public cs::SignatureChecker {
 public:
  bool Check(const cs::PublicKey&, std::string_view, ByteView, const cs::Signature&) override {
    return true;
  }
};

const cs::ValidatorSet& Validators() {
  static AcceptAll checker;
  static const cs::ValidatorSet set = [] {
    std::vector<cs::PublicKey> keys;
    for (uint8_t i = 1; i <= 4; ++i) {
      keys.push_back(crypto::PrivateKey::FromSeed(Bytes(32, i)).value().public_key());
    }
    return cs::ValidatorSet(1, keys, cs::GenesisBlock(1, "fuzz-chain").id, &checker);
  }();
  return set;
}

void CheckSync(const cs::SyncInfo& s) {
  (void)Validators().VerifySyncInfo(s);
}

void CheckBlock(const cs::Block& b) {
  (void)Validators().VerifyBlock(b);
  (void)Validators().Leader(b.round, &b);
  if (auto txs = node::DecodePayload(b.payload)) {
    FUZZ_CHECK(fuzz::SameBytes(node::EncodePayload(*txs), b.payload));
  }
}

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

void Check(const node::WireMessage& m) {
  std::visit(
      Overloaded{
          [](const cs::Message& c) {
            std::visit(Overloaded{
                           [](const cs::ProposalMsg& p) {
                             CheckBlock(p.block);
                             CheckSync(p.sync);
                           },
                           [](const cs::VoteMsg& v) {
                             (void)Validators().VerifyVote(v.vote);
                             CheckSync(v.sync);
                           },
                           [](const cs::TimeoutMsg& t) {
                             (void)Validators().VerifyTimeout(t.timeout);
                             CheckSync(t.sync);
                           },
                           [](const cs::SyncMsg& s) { CheckSync(s.sync); },
                       },
                       c);
            (void)cs::MessageRound(c);
          },
          [](const node::FetchRequestMsg&) {},
          [](const node::FetchResponseMsg& f) {
            for (const auto& b : f.blocks) CheckBlock(b);
          },
          [](const node::TxBatchMsg& b) {
            for (const auto& t : b.txs) (void)types::DecodeTx(t);
          },
          [](const node::SyncRequestMsg&) {},
          [](const node::SyncResponseMsg& s) {
            for (const auto& sb : s.blocks) {
              CheckBlock(sb.block);
              (void)node::VerifyCommittedBlock(Validators(), sb);
              (void)node::CommitQcCoversBlock(sb);
            }
          },
          [](const node::AttestationMsg& a) {
            (void)node::AttestationSignBytes("fuzz-chain", a.attestation);
          },
          [](const node::HelloMsg&) {},
          [](const node::BatchMsg& b) {
            for (const auto& t : b.batch.txs) (void)types::DecodeTx(t);
            (void)node::InfoOf("fuzz-chain", b.batch);
          },
          [](const node::BatchAckMsg& a) {
            std::vector<cs::PublicKey> keys;
            for (uint32_t i = 0; i < Validators().size(); ++i) keys.push_back(Validators().key(i));
            (void)node::VerifyAck("fuzz-chain", keys, a.ack);
          },
          [](const node::BatchRequestMsg&) {},
          [](const node::BatchResponseMsg& r) {
            if (r.batch) (void)node::InfoOf("fuzz-chain", *r.batch);
          },
          [](const node::ProofMsg& p) {
            std::vector<cs::PublicKey> keys;
            for (uint32_t i = 0; i < Validators().size(); ++i) keys.push_back(Validators().key(i));
            (void)node::VerifyProof("fuzz-chain", p.proof.info.epoch, keys, p.proof);
          },
      },
      m);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const ByteView in = fuzz::View(data, size);
  auto m = node::DecodeWire(in);
  if (!m.ok()) return 0;
  FUZZ_CHECK(fuzz::SameBytes(node::EncodeWire(*m), in));
  Check(*m);
  return 0;
}
