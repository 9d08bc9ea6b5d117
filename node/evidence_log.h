// The record of the consensus evidence a node sees: a validator that signed two proposals or
// two votes in one round, or a proposal in a round it does not lead (consensus/engine.h
// Evidence). Each piece is checked against the signer's key (VerifyEvidence) and then
//  - counted, by kind, in laurel_consensus_evidence_total{kind} on /metrics;
//  - appended, as one JSON line with both signed statements (block ids, signed vote data,
//    signatures, all hex), to <data>/evidence.jsonl, which survives restarts;
//  - kept in memory (the newest few) for the node's log and tests.
// A piece already recorded (same kind, epoch, round and signer) is not counted again; one that
// does not verify is refused and changes nothing. docs/operator.md, "Equivocation evidence".
//
// Thread safety: none; the node's event loop owns it.
#pragma once

#include <cstdint>
#include <deque>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "common/status.h"
#include "consensus/engine.h"

namespace laurel::node {

// The label of a kind in laurel_consensus_evidence_total and in the JSON lines.
const char* EvidenceKindLabel(consensus::Evidence::Kind k);  // double_proposal, double_vote, ...

// One JSON object on one line (no newline): kind, signer, signer_key, epoch, round, at_ms and
// the two statements (first, second: block_id, signature and, for votes, the signed vote data).
std::string EvidenceJson(const consensus::Evidence& e, const crypto::PublicKey& signer_key,
                         int64_t at_ms);

// A page of the records in an evidence file, oldest first (GET /v1/evidence, docs/api.md). Each
// complete line is one record, numbered from 1 in file order (`seq`); a last line without its
// newline (being written) is not read yet.
struct EvidencePage {
  std::vector<std::string> records;  // JSON objects: a line's fields plus "seq"
  uint64_t total = 0;                // complete lines in the file
  uint64_t next_after = 0;           // seq of the last record here (`after` when none)
  bool more = false;                 // records after next_after exist
};

// The records with seq > `after`, at most `limit` (>= 1) of them. A missing file is no records;
// a line that is not a JSON object is served as {"seq", "kind": "unreadable", "line"} so that the
// numbering stays that of the file. IoError when the file exists but cannot be read.
Result<EvidencePage> ReadEvidencePage(const std::string& path, uint64_t after, size_t limit);

class EvidenceLog {
 public:
  // `path`: the file the records are appended to; empty keeps them in memory only.
  explicit EvidenceLog(std::string path) : path_(std::move(path)) {}

  // Ok(true): recorded now; Ok(false): recorded before (same kind, epoch, round, signer);
  // InvalidArgument: it does not verify under `signer_key` (nothing recorded); IoError: the
  // file could not be written (the piece is still counted and kept in memory).
  Result<bool> Record(const consensus::Evidence& e, const crypto::PublicKey& signer_key,
                      int64_t at_ms);

  uint64_t count(consensus::Evidence::Kind k) const { return counts_[static_cast<size_t>(k)]; }
  // The JSON lines of the newest records, oldest first (at most kKeep).
  const std::deque<std::string>& recent() const { return recent_; }
  const std::string& path() const { return path_; }

  static constexpr size_t kKeep = 64;
  static constexpr size_t kRemember = 4096;  // keys remembered to drop repeats

 private:
  using Key = std::tuple<uint8_t, uint64_t, uint64_t, uint32_t>;  // kind, epoch, round, signer
  std::string path_;
  uint64_t counts_[3] = {0, 0, 0};
  std::deque<std::string> recent_;
  std::set<Key> seen_;
  std::deque<Key> seen_order_;
};

}  // namespace laurel::node
