// The audit's verdict policy on state certificates (cli/audit.h). The chain checks themselves
// run against a real testnet (tests/integration/test_audit.py).
#include "cli/audit.h"

#include <catch2/catch.hpp>

using laurel::cli::AuditTotals;
using laurel::cli::FewCertificates;

namespace {

AuditTotals Totals(uint64_t blocks, uint64_t certified) {
  AuditTotals t;
  t.blocks = blocks;
  t.height = blocks - 1;
  t.certified = certified;
  return t;
}

}  // namespace

TEST_CASE("a chain past genesis with no state certificate has few certificates", "[cli]") {
  CHECK(FewCertificates(Totals(58, 0)));
  CHECK(FewCertificates(Totals(2, 0)));
}

TEST_CASE("fewer than half of the heights after genesis certified is few; half is enough",
          "[cli]") {
  CHECK(FewCertificates(Totals(101, 49)));  // 49 of 100
  CHECK_FALSE(FewCertificates(Totals(101, 50)));
  CHECK_FALSE(FewCertificates(Totals(58, 57)));  // all but genesis
}

TEST_CASE("a chain of genesis alone has nothing to certify", "[cli]") {
  CHECK_FALSE(FewCertificates(Totals(1, 0)));
  CHECK_FALSE(FewCertificates(AuditTotals{}));
}
