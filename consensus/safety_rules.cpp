#include "consensus/safety_rules.h"

#include <algorithm>

namespace laurel::consensus {

namespace {
constexpr uint8_t kRecordVersion = 1;
}

Bytes EncodeSafetyRecord(const SafetyRecord& r) {
  Writer w;
  w.U8(kRecordVersion);
  w.U64(r.epoch);
  w.U64(r.last_voted_round);
  w.U64(r.one_chain_round);
  w.U64(r.highest_timeout_round);
  w.U8(r.last_vote ? 1 : 0);
  if (r.last_vote) EncodeVote(w, *r.last_vote);
  EncodeQc(w, r.one_chain_qc);
  w.U8(r.last_tc ? 1 : 0);
  if (r.last_tc) EncodeTc(w, *r.last_tc);
  return w.Take();
}

Result<SafetyRecord> DecodeSafetyRecord(ByteView b) {
  Reader r(b);
  LAUREL_ASSIGN_OR_RETURN(uint8_t version, r.U8());
  if (version != kRecordVersion) return Status::Corruption("unknown safety record version");
  SafetyRecord rec;
  LAUREL_ASSIGN_OR_RETURN(rec.epoch, r.U64());
  LAUREL_ASSIGN_OR_RETURN(rec.last_voted_round, r.U64());
  LAUREL_ASSIGN_OR_RETURN(rec.one_chain_round, r.U64());
  LAUREL_ASSIGN_OR_RETURN(rec.highest_timeout_round, r.U64());
  LAUREL_ASSIGN_OR_RETURN(uint8_t has_vote, r.U8());
  if (has_vote > 1) return Status::Corruption("bad vote flag");
  if (has_vote == 1) {
    LAUREL_ASSIGN_OR_RETURN(Vote v, DecodeVote(r));
    rec.last_vote = v;
  }
  LAUREL_ASSIGN_OR_RETURN(rec.one_chain_qc, DecodeQc(r));
  LAUREL_ASSIGN_OR_RETURN(uint8_t has_tc, r.U8());
  if (has_tc > 1) return Status::Corruption("bad TC flag");
  if (has_tc == 1) {
    LAUREL_ASSIGN_OR_RETURN(TimeoutCert tc, DecodeTc(r));
    rec.last_tc = std::move(tc);
  }
  if (!r.done()) return Status::Corruption("trailing bytes after safety record");
  return rec;
}

Status MemorySafetyStore::Put(ByteView record, bool sync) {
  written_ = Bytes(record.begin(), record.end());
  if (sync) {
    synced_ = written_;
    ++sync_count_;
  }
  return Status::Ok();
}

SafetyRules::SafetyRules(const crypto::PrivateKey& key, uint32_t my_index, uint64_t epoch,
                         const BlockId& genesis_id, SafetyStore& store, TestHooks hooks)
    : key_(key),
      my_index_(my_index),
      epoch_(epoch),
      genesis_id_(genesis_id),
      store_(store),
      hooks_(hooks) {}

Status SafetyRules::Load(const QuorumCert& genesis_qc) {
  LAUREL_ASSIGN_OR_RETURN(std::optional<Bytes> stored, store_.Get());
  if (stored) {
    LAUREL_ASSIGN_OR_RETURN(SafetyRecord stored_record, DecodeSafetyRecord(*stored));
    if (stored_record.epoch > epoch_) {
      return Status::Corruption(
          "the safety record is of epoch " + std::to_string(stored_record.epoch) +
          ", after this node's epoch " + std::to_string(epoch_) +
          ": the store lost committed blocks (restored from an old backup?)");
    }
    if (stored_record.epoch == epoch_) {
      record_ = std::move(stored_record);
      return Status::Ok();
    }
    // A record of an earlier epoch: its votes were for blocks of that epoch, which no QC of this
    // epoch can certify (docs/spec/consensus.md §13). The epoch starts with a fresh record.
  }
  record_ = SafetyRecord{};
  record_.epoch = epoch_;
  record_.one_chain_qc = genesis_qc;
  return store_.Put(EncodeSafetyRecord(record_), /*sync=*/true);
}

Status SafetyRules::Commit(SafetyRecord next) {
  if (hooks_.break_persist_before_send) {
    dirty_ = true;
    LAUREL_RETURN_IF_ERROR(store_.Put(EncodeSafetyRecord(next), /*sync=*/false));
  } else {
    LAUREL_RETURN_IF_ERROR(store_.Put(EncodeSafetyRecord(next), /*sync=*/true));
  }
  record_ = std::move(next);
  return Status::Ok();
}

Status SafetyRules::FlushDeferred() {
  if (!dirty_) return Status::Ok();
  dirty_ = false;
  return store_.Put(EncodeSafetyRecord(record_), /*sync=*/true);
}

void SafetyRules::ObserveQc(SafetyRecord& rec, const QuorumCert& qc) {
  if (qc.round() > rec.one_chain_round) {
    rec.one_chain_round = qc.round();
    rec.one_chain_qc = qc;
  }
}

void SafetyRules::ObserveTc(SafetyRecord& rec, const TimeoutCert* tc, Round round) {
  if (tc == nullptr || tc->round + 1 != round) return;
  if (!rec.last_tc || rec.last_tc->round < tc->round) rec.last_tc = *tc;
}

Result<Vote> SafetyRules::VoteOn(const Block& b, const TimeoutCert* tc) {
  if (b.epoch != epoch_) return Status::InvalidArgument("block of another epoch");
  if (!hooks_.break_last_voted_round) {
    if (record_.last_vote && record_.last_vote->data.round == b.round) {
      if (record_.last_vote->data.block_id == b.id) return *record_.last_vote;  // re-send
      return Status::PermissionDenied("already voted for another block in this round");
    }
    if (b.round <= record_.last_voted_round) {
      return Status::PermissionDenied("round not above last_voted_round");
    }
  }
  const bool extends_qc = b.qc.round() + 1 == b.round;
  const bool justified_by_tc = tc != nullptr && tc->round + 1 == b.round &&
                               (b.qc.round() >= tc->MaxHqcRound() || hooks_.break_tc_condition);
  if (!extends_qc && !justified_by_tc) {
    return Status::PermissionDenied("block neither extends QC(r-1) nor is justified by TC(r-1)");
  }
  // The next record is built aside and becomes the record only once it is durable: after a
  // failed write, the record in memory is the one on disk, so nothing signed under the
  // unwritten one (not even a re-sent vote) can ever leave.
  SafetyRecord next = record_;
  if (!hooks_.break_observe_qc_on_vote) ObserveQc(next, b.qc);
  if (!extends_qc) ObserveTc(next, tc, b.round);
  next.last_voted_round = std::max(next.last_voted_round, b.round);
  Vote v = SignVote(VoteDataFor(b), my_index_, key_);
  next.last_vote = v;
  LAUREL_RETURN_IF_ERROR(Commit(std::move(next)));
  return v;
}

Result<TimeoutVote> SafetyRules::SignTimeout(Round round, const QuorumCert& hqc,
                                             const TimeoutCert* tc) {
  if (round < record_.last_voted_round) {
    return Status::PermissionDenied("timeout round below last_voted_round");
  }
  const bool follows = round == hqc.round() + 1 || (tc != nullptr && round == tc->round + 1);
  if (!follows) return Status::PermissionDenied("timeout round does not follow hqc or TC");
  if (hqc.round() < record_.one_chain_round && !hooks_.break_timeout_one_chain_round) {
    return Status::PermissionDenied("hqc below one_chain_round");
  }
  SafetyRecord next = record_;
  ObserveQc(next, hqc);
  if (round != hqc.round() + 1) ObserveTc(next, tc, round);
  if (!hooks_.break_timeout_last_voted_round) {
    next.last_voted_round = std::max(next.last_voted_round, round);
  }
  next.highest_timeout_round = std::max(next.highest_timeout_round, round);
  // Unchanged: the record that allows this timeout is already durable.
  if (!(next == record_)) LAUREL_RETURN_IF_ERROR(Commit(std::move(next)));
  return consensus::SignTimeout(genesis_id_, epoch_, round, hqc, my_index_, key_);
}

}  // namespace laurel::consensus
