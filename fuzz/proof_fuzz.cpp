// What a node hands a gate or an auditor as proof (verifier/verifier.h), chosen by the first
// byte: the JSON of a StateProofView (CheckStateProof, with epoch changes), or the bytes of a
// state certificate (DecodeCertificate). Nothing crashes; an input is never accepted unless
// its certificate carries a quorum of signatures that verify, which random bytes never do:
// so no input passes (a pass would mean a forged proof got through).
#include <nlohmann/json.hpp>

#include "fuzz/fuzz_util.h"
#include "fuzz/validators.h"
#include "verifier/verifier.h"

namespace {

const laurel::verifier::ValidatorSet& Set() { return laurel::fuzz::FuzzValidatorSet(); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace laurel;
  if (size == 0) return 0;
  if (data[0] % 2 == 0) {
    const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
    const auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) return 0;
    const auto r = verifier::CheckStateProof(j, Set(), 1'800'000'000'000ULL, 0);
    FUZZ_CHECK(!r.ok());
    FUZZ_CHECK(!r.status().message().empty());
  } else {
    auto c = verifier::DecodeCertificate(ByteView(data + 1, size - 1));
    if (c.ok()) FUZZ_CHECK(!verifier::CheckCertificate(*c, Set()).ok());
  }
  return 0;
}
