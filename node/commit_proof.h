// Committed blocks and their commit proofs as the store keeps them: rebuilding the consensus
// block of a stored record, and checking the proof against a validator set. Shared by block
// sync (node_sync.cpp serves blocks; the SyncTracker checks peers' blocks with it), and by
// `laurel audit`, which checks a node's whole chain from genesis.
//
// Thread safety: pure functions; VerifyCommittedBlock is as thread-safe as the set's checker.
#pragma once

#include "common/status.h"
#include "consensus/types.h"
#include "consensus/validator_set.h"
#include "node/wire.h"
#include "storage/store.h"

namespace laurel::node {

// The consensus block of a stored record, with its payload restored (the canonical encoding of
// the record's txs when the header was stored stripped), and its commit proof. Height 0 is
// `genesis_block` with the genesis QC as both QCs. kCorruption when the header or the proof
// does not decode, or when the rebuilt block's id is not the record's block_id.
Result<SyncBlock> RebuildCommittedBlock(const storage::BlockRecord& rec,
                                        const consensus::Block& genesis_block);

// The signatures of a committed block (height >= 1): the block itself (id, proposer leads the
// round, proposal signature, the QC of its parent), its block QC (which must certify it) and
// its commit QC. kInvalidArgument naming the first thing that is wrong.
Status VerifyCommittedBlock(const consensus::ValidatorSet& validators, const SyncBlock& sb);

// The 2-chain commit rule for this very block: its commit QC certifies a child of it in the
// next round. When false, the block is committed only through a descendant for which this
// holds (and whose ancestors are linked to it by parent ids).
bool CommitQcCoversBlock(const SyncBlock& sb);

// A state certificate's signatures: at least a quorum of `validators` (the set of the
// certificate's epoch), signer indices strictly increasing and in the set, each signing
// AttestationSignBytes(chain_id, c.data). kInvalidArgument naming the first thing that is wrong.
// Used by the node for certificates that come with synced blocks and by `laurel audit`.
Status VerifyStateCertificate(const consensus::ValidatorSet& validators, std::string_view chain_id,
                              const StateCertificate& c);

}  // namespace laurel::node
