// A transaction receipt as a node serves it (GET /v1/txs/{id}/receipt, laurel.v1.ReceiptView
// in its JSON form) -> verifier::CheckReceipt: the transaction bytes, the audit path, the
// certificate and its epoch changes are all parsed from untrusted JSON. Nothing crashes or
// throws, and no input passes: none carries a quorum of the fuzz validators' signatures.
#include <nlohmann/json.hpp>

#include "fuzz/fuzz_util.h"
#include "fuzz/validators.h"
#include "verifier/verifier.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace laurel;
  const std::string text(reinterpret_cast<const char*>(data), size);
  const auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return 0;
  const auto r = verifier::CheckReceipt(j, fuzz::FuzzValidatorSet());
  FUZZ_CHECK(!r.ok());
  FUZZ_CHECK(!r.status().message().empty());
  return 0;
}
