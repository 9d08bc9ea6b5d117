#include "node/evidence_log.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

namespace laurel::node {

namespace cs = laurel::consensus;

const char* EvidenceKindLabel(cs::Evidence::Kind k) {
  switch (k) {
    case cs::Evidence::Kind::kProposal:
      return "double_proposal";
    case cs::Evidence::Kind::kVote:
      return "double_vote";
    case cs::Evidence::Kind::kWrongLeader:
      return "out_of_turn";
  }
  return "unknown";
}

namespace {

std::string Hex(ByteView b) { return HexEncode(b); }

nlohmann::json VoteJson(const cs::VoteData& d) {
  return {{"epoch", d.epoch},
          {"round", d.round},
          {"block_id", Hex(d.block_id)},
          {"parent_round", d.parent_round},
          {"parent_id", Hex(d.parent_id)}};
}

}  // namespace

std::string EvidenceJson(const cs::Evidence& e, const crypto::PublicKey& signer_key,
                         int64_t at_ms) {
  const bool vote = e.kind == cs::Evidence::Kind::kVote;
  auto statement = [&](const cs::BlockId& id, const cs::Signature& sig, const cs::VoteData& d) {
    nlohmann::json s = {{"block_id", Hex(id)}, {"signature", Hex(sig)}};
    if (vote) s["vote"] = VoteJson(d);
    return s;
  };
  nlohmann::json j = {{"kind", EvidenceKindLabel(e.kind)},
                      {"signer", e.signer},
                      {"signer_key", Hex(signer_key)},
                      {"epoch", e.epoch},
                      {"round", e.round},
                      {"at_ms", at_ms},
                      {"first", statement(e.first, e.first_sig, e.first_vote)}};
  if (e.kind != cs::Evidence::Kind::kWrongLeader) {
    j["second"] = statement(e.second, e.second_sig, e.second_vote);
  }
  return j.dump();
}

Result<bool> EvidenceLog::Record(const cs::Evidence& e, const crypto::PublicKey& signer_key,
                                 int64_t at_ms) {
  if (static_cast<size_t>(e.kind) >= 3) return Status::InvalidArgument("unknown evidence kind");
  if (!cs::VerifyEvidence(e, signer_key)) {
    return Status::InvalidArgument(std::string(EvidenceKindLabel(e.kind)) + " evidence by " +
                                   "validator " + std::to_string(e.signer) + " in round " +
                                   std::to_string(e.round) + " does not verify");
  }
  const Key key{static_cast<uint8_t>(e.kind), e.epoch, e.round, e.signer};
  if (!seen_.insert(key).second) return false;
  seen_order_.push_back(key);
  if (seen_order_.size() > kRemember) {
    seen_.erase(seen_order_.front());
    seen_order_.pop_front();
  }
  ++counts_[static_cast<size_t>(e.kind)];
  std::string line = EvidenceJson(e, signer_key, at_ms);
  recent_.push_back(line);
  if (recent_.size() > kKeep) recent_.pop_front();
  if (path_.empty()) return true;
  line.push_back('\n');
  std::FILE* f = std::fopen(path_.c_str(), "a");
  if (f == nullptr) {
    return Status::IoError("cannot open " + path_ + ": " + std::strerror(errno));
  }
  const bool written = std::fwrite(line.data(), 1, line.size(), f) == line.size();
  const bool closed = std::fclose(f) == 0;
  if (!written || !closed) return Status::IoError("cannot append to " + path_);
  return true;
}

Result<EvidencePage> ReadEvidencePage(const std::string& path, uint64_t after, size_t limit) {
  EvidencePage page;
  page.next_after = after;
  if (limit == 0) return Status::InvalidArgument("limit must be at least 1");
  std::error_code ec;
  if (!std::filesystem::exists(path, ec) && !ec) return page;
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IoError("cannot open " + path + ": " + std::strerror(errno));
  std::string line;
  uint64_t seq = 0;
  while (std::getline(in, line)) {
    if (in.eof()) break;  // no newline after it: still being written
    ++seq;
    if (seq <= after) continue;
    if (page.records.size() >= limit) {
      page.more = true;
      continue;  // counted in total
    }
    nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object()) j = {{"kind", "unreadable"}, {"line", line}};
    j["seq"] = seq;
    page.records.push_back(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    page.next_after = seq;
  }
  if (in.bad()) return Status::IoError("cannot read " + path);
  page.total = seq;
  return page;
}

}  // namespace laurel::node
