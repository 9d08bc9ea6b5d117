// Genesis documents (every node reads one at start-up; `laurel audit` reads the one a node
// serves) and the `--issuers` file of `laurel genesis`. Parsing never crashes; a parsed genesis
// is valid, prints to a document that parses again, and printing is a fixed point; executing
// it (the state at height 0) never crashes.
#include "fuzz/fuzz_util.h"
#include "ledger/executor.h"
#include "ledger/genesis_io.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace laurel;
  const std::string_view json(reinterpret_cast<const char*>(data), size);
  if (auto g = ledger::ParseGenesisJson(json); g.ok()) {
    FUZZ_CHECK(ledger::ValidateGenesis(*g).ok());
    auto doc = ledger::GenesisToJson(*g);
    FUZZ_CHECK(doc.ok());
    auto g2 = ledger::ParseGenesisJson(*doc);
    FUZZ_CHECK(g2.ok());
    auto doc2 = ledger::GenesisToJson(*g2);
    FUZZ_CHECK(doc2.ok() && *doc2 == *doc);
    (void)ledger::ExecuteGenesis(*g);
  }
  (void)ledger::ParseIssuersJson(json);
  return 0;
}
