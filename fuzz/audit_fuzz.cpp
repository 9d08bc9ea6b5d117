// `laurel audit` reading a node's answer to GET /v1/blocks (a laurel.v1.BlockRange in binary
// protobuf): a node under audit is not trusted, so no answer may crash the auditor. Each block
// record is converted (AuditBlockFromProto) and the range checked from genesis on.
#include "cli/audit.h"
#include "fuzz/fixture.h"
#include "fuzz/fuzz_util.h"
#include "laurel/v1/chain.pb.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace laurel;
  v1::BlockRange range;
  if (!range.ParseFromArray(data, static_cast<int>(size))) return 0;
  std::vector<cli::AuditBlock> blocks;
  for (const auto& m : range.blocks()) {
    auto b = cli::AuditBlockFromProto(m);
    if (!b.ok()) return 0;
    blocks.push_back(std::move(b).value());
  }
  cli::ChainAuditor auditor(fuzz::FixtureGenesis(), 1);
  // As the CLI does: the node's blocks as they come, whatever heights it put in them.
  if (!auditor.Check(std::move(blocks))) (void)auditor.Finish();
  return 0;
}
