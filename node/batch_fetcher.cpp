#include "node/batch_fetcher.h"

#include <algorithm>

namespace laurel::node {

Status BatchFetcher::Want(const ProofOfAvailability& p, uint64_t now_ms, Outputs& out) {
  if (wanted_.count(p.info.digest) > 0) return Status::Ok();
  if (wanted_.size() >= kMaxWanted) {
    return Status::Unavailable("already fetching " + std::to_string(wanted_.size()) + " batches");
  }
  Wanted w;
  w.info = p.info;
  auto add = [&](uint32_t v) {
    if (v != my_index_ &&
        std::find(w.candidates.begin(), w.candidates.end(), v) == w.candidates.end()) {
      w.candidates.push_back(v);
    }
  };
  add(p.info.author);
  for (const auto& [signer, sig] : p.signatures) add(signer);
  auto failures = [&](uint32_t v) {
    auto it = failures_.find(v);
    return it == failures_.end() ? uint64_t{0} : it->second;
  };
  std::stable_sort(w.candidates.begin(), w.candidates.end(),
                   [&](uint32_t a, uint32_t b) { return failures(a) < failures(b); });
  if (w.candidates.empty()) {
    return Status::InvalidArgument("no peer to fetch batch " + HexEncode(p.info.digest) + " from");
  }
  auto [it, inserted] = wanted_.emplace(p.info.digest, std::move(w));
  AskNext(it->second, now_ms, out, /*advance=*/false);
  return Status::Ok();
}

void BatchFetcher::AskNext(Wanted& w, uint64_t now_ms, Outputs& out, bool advance) {
  if (advance) w.next = (w.next + 1) % w.candidates.size();
  w.deadline_ms = now_ms + timeout_ms_;
  out.requests.push_back({w.candidates[w.next], w.info});
}

void BatchFetcher::OnResponse(uint32_t from, const BatchResponseMsg& m, BatchStore& store,
                              uint64_t committed_height, uint64_t now_ms, Outputs& out) {
  auto it = wanted_.find(m.info.digest);
  if (it == wanted_.end()) return;
  Wanted& w = it->second;
  if (w.candidates[w.next] != from || !(m.info == w.info)) return;  // not the peer asked
  if (m.batch && store.InsertFetched(w.info, *m.batch, committed_height).ok()) {
    failures_.erase(from);
    out.fetched.push_back(w.info.digest);
    wanted_.erase(it);
    return;
  }
  if (m.batch == std::nullopt || !store.Has(w.info.digest)) {
    Failed(from);
    AskNext(w, now_ms, out, /*advance=*/true);
    return;
  }
  // Refused by the store yet held (it arrived by another path meanwhile): done.
  out.fetched.push_back(w.info.digest);
  wanted_.erase(it);
}

void BatchFetcher::OnTick(uint64_t now_ms, Outputs& out) {
  for (auto& [digest, w] : wanted_) {
    if (now_ms >= w.deadline_ms) {
      Failed(w.candidates[w.next]);
      AskNext(w, now_ms, out, /*advance=*/true);
    }
  }
}

}  // namespace laurel::node
