// What a node reads back from its own disk and what peers and auditors receive as stored
// blocks: state certificates, commit proofs, stored block headers, the safety record and the
// ledger's state records. Chosen by the first byte. Decoding never crashes; what decodes
// re-encodes to the same bytes.
#include "consensus/safety_rules.h"
#include "fuzz/fuzz_util.h"
#include "ledger/state.h"
#include "node/wire.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace laurel;
  if (size == 0) return 0;
  const ByteView in = fuzz::View(data + 1, size - 1);
  const std::string_view text = AsStringView(in);
  switch (data[0] % 7) {
    case 0:
      if (auto c = node::DecodeStateCertificate(in); c.ok()) {
        FUZZ_CHECK(fuzz::SameBytes(node::EncodeStateCertificate(*c), in));
      }
      break;
    case 1: {
      consensus::QuorumCert a, b;
      if (node::DecodeCommitProof(in, &a, &b).ok()) {
        FUZZ_CHECK(fuzz::SameBytes(node::EncodeCommitProof(a, b), in));
      }
      break;
    }
    case 2: {
      bool kept = false;
      if (auto h = node::DecodeStoredHeader(in, &kept); h.ok()) {
        FUZZ_CHECK(fuzz::SameBytes(node::EncodeStoredHeader(*h, kept), in));
      }
      break;
    }
    case 3:
      if (auto r = consensus::DecodeSafetyRecord(in); r.ok()) {
        auto again = consensus::DecodeSafetyRecord(consensus::EncodeSafetyRecord(*r));
        FUZZ_CHECK(again.ok() && *again == *r);
      }
      break;
    case 4:
      if (auto r = ledger::DecodeGovernance(text); r.ok()) {
        auto again = ledger::DecodeGovernance(ledger::EncodeGovernance(*r));
        FUZZ_CHECK(again.ok());
      }
      break;
    case 5:
      if (auto r = ledger::DecodeIssuer(text); r.ok()) {
        auto again = ledger::DecodeIssuer(ledger::EncodeIssuer(*r));
        FUZZ_CHECK(again.ok());
      }
      break;
    case 6:
      if (auto r = ledger::DecodeCredential(text); r.ok()) {
        auto again = ledger::DecodeCredential(ledger::EncodeCredential(*r));
        FUZZ_CHECK(again.ok());
      }
      break;
  }
  return 0;
}
