#include "node/commit_proof.h"

#include <string>

#include "node/payload.h"

namespace laurel::node {

Result<SyncBlock> RebuildCommittedBlock(const storage::BlockRecord& rec,
                                        const consensus::Block& genesis_block) {
  SyncBlock sb;
  if (rec.height == 0) {
    sb.block = genesis_block;
  } else {
    bool kept = false;
    LAUREL_ASSIGN_OR_RETURN(sb.block, DecodeStoredHeader(rec.header, &kept));
    if (!kept) {
      sb.block.payload = EncodePayload(rec.txs);
      sb.block.id = consensus::ComputeBlockId(sb.block);
    }
  }
  if (sb.block.id != rec.block_id) {
    return Status::Corruption("stored block " + std::to_string(rec.height) +
                              " does not reproduce its id");
  }
  if (rec.height == 0) {
    sb.block_qc = sb.commit_qc = consensus::GenesisQc(genesis_block);
  } else {
    LAUREL_RETURN_IF_ERROR(DecodeCommitProof(rec.certificate, &sb.block_qc, &sb.commit_qc));
  }
  return sb;
}

Status VerifyCommittedBlock(const consensus::ValidatorSet& validators, const SyncBlock& sb) {
  LAUREL_RETURN_IF_ERROR(validators.VerifyBlock(sb.block));
  if (sb.block_qc.block_id() != sb.block.id) {
    return Status::InvalidArgument("block QC certifies another block");
  }
  LAUREL_RETURN_IF_ERROR(validators.VerifyQc(sb.block_qc));
  return validators.VerifyQc(sb.commit_qc);
}

bool CommitQcCoversBlock(const SyncBlock& sb) {
  const auto& d = sb.commit_qc.data;
  return d.parent_id == sb.block.id && d.parent_round == sb.block.round &&
         d.round == d.parent_round + 1;
}

Status VerifyStateCertificate(const consensus::ValidatorSet& validators, std::string_view chain_id,
                              const StateCertificate& c) {
  if (c.signatures.size() < validators.quorum()) {
    return Status::InvalidArgument("state certificate has " + std::to_string(c.signatures.size()) +
                                   " signatures, below the quorum of " +
                                   std::to_string(validators.quorum()));
  }
  const Bytes msg = AttestationSignBytes(chain_id, c.data);
  for (size_t i = 0; i < c.signatures.size(); ++i) {
    const auto& [signer, sig] = c.signatures[i];
    if (i > 0 && signer <= c.signatures[i - 1].first) {
      return Status::InvalidArgument("state certificate signers are not strictly increasing");
    }
    if (signer >= validators.size()) {
      return Status::InvalidArgument("state certificate signer " + std::to_string(signer) +
                                     " is not a validator");
    }
    if (!crypto::Verify(validators.key(signer), msg, sig)) {
      return Status::InvalidArgument("state certificate: bad signature by validator " +
                                     std::to_string(signer));
    }
  }
  return Status::Ok();
}

}  // namespace laurel::node
