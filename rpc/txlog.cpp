#include "rpc/txlog.h"

#include <algorithm>
#include <charconv>

#include "crypto/merkle_log.h"
#include "ledger/state.h"
#include "rpc/convert.h"
#include "rpc/proofs.h"

namespace laurel::rpc {

namespace pb = ::laurel::v1;

namespace {

struct StoreLogReader final : crypto::LogTreeReader {
  const storage::Store& store;
  explicit StoreLogReader(const storage::Store& s) : store(s) {}
  std::optional<Hash32> GetLogNode(uint8_t level, uint64_t index) const override {
    return store.GetTxLogNode(level, index);
  }
};

HttpResponse Bad(const std::string& message) { return ErrorResponse(400, "BAD_REQUEST", message); }

std::optional<HttpResponse> UnknownParams(const HttpRequest& req,
                                          std::initializer_list<std::string_view> known) {
  for (const auto& [k, v] : req.query) {
    if (std::find(known.begin(), known.end(), k) == known.end()) {
      return Bad("unknown query parameter '" + k + "'");
    }
  }
  return std::nullopt;
}

// ?name= as a decimal uint64: nullopt when absent; a 400 answer when not a number.
std::optional<uint64_t> NumberParam(const HttpRequest& req, const std::string& name,
                                    std::optional<HttpResponse>* bad) {
  auto v = req.Query(name);
  if (!v) return std::nullopt;
  uint64_t n = 0;
  auto [ptr, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (v->empty() || v->size() > 20 || ec != std::errc() || ptr != v->data() + v->size()) {
    *bad = Bad(name + " must be a non-negative decimal integer, not '" + v->substr(0, 40) + "'");
    return std::nullopt;
  }
  return n;
}

// The log's size at the committed tip.
Result<uint64_t> CurrentSize(const storage::Store& store) {
  if (store.Empty()) return Status::Unavailable("no block committed yet");
  return store.TxLogSize(store.Height());
}

HttpResponse StoreError(const Status& st) {
  return ErrorResponse(500, "STORE_ERROR", st.ToString());
}

// The height whose block holds log leaf `index` (< the log size at the tip): the first height
// whose log size exceeds it (sizes never decrease). O(log height) look-ups.
Result<uint64_t> HeightOfLeaf(const storage::Store& store, uint64_t index, uint64_t tip) {
  uint64_t lo = 1;
  uint64_t hi = tip;
  while (lo < hi) {
    const uint64_t mid = lo + (hi - lo) / 2;
    LAUREL_ASSIGN_OR_RETURN(uint64_t s, store.TxLogSize(mid));
    if (s > index) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return lo;
}

// ?height=H of the log routes: the log's size after committed height `h`, or the answer that
// refuses it (nothing committed yet, above the tip, or a height whose log size this node does
// not keep).
Result<uint64_t> SizeAtHeight(const storage::Store& store, uint64_t h,
                              std::optional<HttpResponse>* refused) {
  if (store.Empty()) {
    *refused = ErrorResponse(503, "NOT_READY", "no block committed yet");
    return Status::Unavailable("no block");
  }
  const uint64_t tip = store.Height();
  if (h > tip) {
    *refused = ErrorResponse(400, "HEIGHT_ABOVE_TIP",
                             "height " + std::to_string(h) + " is above the committed height " +
                                 std::to_string(tip) + " (another node may be further)");
    return Status::InvalidArgument("above tip");
  }
  auto size = store.TxLogSize(h);
  if (size.ok()) return size;
  *refused = size.status().code() == StatusCode::kNotFound
                 ? ErrorResponse(400, "HEIGHT_NOT_RETAINED",
                                 "this node keeps no log head of height " + std::to_string(h))
                 : StoreError(size.status());
  return size.status();
}

}  // namespace

HttpResponse TxLogHeadAnswer(const storage::Store& store, const HttpRequest& req) {
  if (auto bad = UnknownParams(req, {"proof", "height"})) return *bad;
  std::optional<HttpResponse> bad;
  const auto height = NumberParam(req, "height", &bad);
  if (bad) return *bad;
  pb::TxLogView v;
  std::optional<std::string> record;
  std::optional<HttpResponse> refused;
  const auto asked = ProofAsked(req, [&refused](HttpResponse r) { refused = std::move(r); });
  if (!asked) return std::move(*refused);  // 400 BAD_PROOF: an unknown ?proof= value
  if (height) {
    // A past head: the log's size after H and its root, from the stored subtrees; with a
    // proof, the record "l" under H's own certificate.
    auto size = SizeAtHeight(store, *height, &refused);
    if (!size.ok()) return std::move(*refused);
    if (!*asked) {
      const StoreLogReader reader(store);
      auto root = crypto::LogRoot(reader, *size);
      if (!root.ok()) return StoreError(root.status());
      v.set_height(*height);
      v.set_size(*size);
      v.set_root(HashHex(*root));
      return MessageResponse(200, v, req);
    }
    auto proven = ProvenView::AtHeight(store, *height);
    if (!proven) {
      return NoCertificateAt(store, *height, "ask another node, or another height",
                             "each proves the log head of its own height");
    }
    record = proven->GetState(ledger::kTxLogKey);
    if (proven->tree_not_kept()) {
      return ErrorResponse(400, "HEIGHT_NOT_RETAINED",
                           "the state tree of height " + std::to_string(*height) +
                               " is no longer kept here ([state] versions_kept), so its log "
                               "head cannot be proven: ask for a newer height");
    }
    if (proven->failed()) return ProofUnavailable(*proven);
    v.set_height(proven->height());
    *v.mutable_proof() = proven->View("the transaction log head as of " + DescribeHeight(*proven));
  } else if (*asked) {
    auto proven = ProvenView::AtCertifiedHeight(store);
    if (!proven) return NoCertifiedState();
    record = proven->GetState(ledger::kTxLogKey);
    if (proven->failed()) return ProofUnavailable(*proven);
    v.set_height(proven->height());
    *v.mutable_proof() = proven->View("the transaction log head as of " + DescribeHeight(*proven));
  } else {
    if (store.Empty()) return ErrorResponse(503, "NOT_READY", "no block committed yet");
    auto snap = store.Snapshot();
    record = snap->GetState(ledger::kTxLogKey);
    v.set_height(snap->Height());
  }
  if (!record) {
    return ErrorResponse(500, "INTERNAL", "the state holds no transaction log record 'l'");
  }
  auto head = crypto::DecodeLogHead(*record);
  if (!head.ok()) return ErrorResponse(500, "INTERNAL", head.status().message());
  v.set_size(head->size);
  v.set_root(HashHex(head->root));
  return MessageResponse(200, v, req);
}

HttpResponse TxLogInclusionAnswer(const storage::Store& store, const HttpRequest& req) {
  if (auto bad = UnknownParams(req, {"index", "tx", "size", "height"})) return *bad;
  std::optional<HttpResponse> bad;
  const auto index_param = NumberParam(req, "index", &bad);
  if (bad) return *bad;
  auto size_param = NumberParam(req, "size", &bad);
  if (bad) return *bad;
  const auto height_param = NumberParam(req, "height", &bad);
  if (bad) return *bad;
  if (size_param && height_param) {
    return Bad("give size (a log size) or height (the log's size after that height), not both");
  }
  const auto tx_param = req.Query("tx");
  if (index_param.has_value() == tx_param.has_value()) {
    return Bad("give exactly one of index (a leaf position) or tx (a transaction id)");
  }
  if (height_param) {
    auto at = SizeAtHeight(store, *height_param, &bad);
    if (!at.ok()) return std::move(*bad);
    size_param = *at;
  }
  if (store.Empty()) return ErrorResponse(503, "NOT_READY", "no block committed yet");
  const uint64_t tip = store.Height();
  auto current = store.TxLogSize(tip);
  if (!current.ok()) return StoreError(current.status());
  const uint64_t size = size_param.value_or(*current);
  if (size > *current) {
    return Bad("size " + std::to_string(size) + " is above the log's size " +
               std::to_string(*current) + " at height " + std::to_string(tip));
  }
  pb::TxLogInclusionView v;
  uint64_t index = 0;
  if (tx_param) {
    auto tx_id = HexDecode32(*tx_param);
    if (!tx_id) return Bad("tx must be 64 hex characters");
    const auto loc = store.GetTxLocation(*tx_id);
    if (!loc || loc->height > tip) {
      return ErrorResponse(404, "NOT_FOUND", "unknown transaction " + HashHex(*tx_id));
    }
    auto before = store.TxLogSize(loc->height - 1);
    if (!before.ok()) return StoreError(before.status());
    index = *before + loc->position;
    v.set_height(loc->height);
    v.set_position(loc->position);
    v.set_tx_id(HashHex(*tx_id));
    v.set_code(static_cast<uint32_t>(loc->code));
  } else {
    index = *index_param;
    if (index < *current) {
      auto h = HeightOfLeaf(store, index, tip);
      if (!h.ok()) return StoreError(h.status());
      auto before = store.TxLogSize(*h - 1);
      auto block = store.GetBlock(*h);
      if (!before.ok()) return StoreError(before.status());
      if (!block.ok()) return StoreError(block.status());
      const uint64_t pos = index - *before;
      if (!block->has_value() || pos >= (*block)->txs.size() || (*block)->results.size() <= pos) {
        return ErrorResponse(
            500, "INTERNAL",
            "the log's leaf " + std::to_string(index) + " is not in block " + std::to_string(*h));
      }
      v.set_height(*h);
      v.set_position(static_cast<uint32_t>(pos));
      v.set_tx_id(HashHex(types::TxId((*block)->txs[pos])));
      v.set_code(static_cast<uint32_t>((*block)->results[pos]));
    }
  }
  if (index >= size) {
    return Bad("leaf " + std::to_string(index) + " is not in the log of size " +
               std::to_string(size) + " (index must be below size)");
  }
  const StoreLogReader reader(store);
  auto path = crypto::LogInclusionProof(reader, index, size);
  auto root = crypto::LogRoot(reader, size);
  const auto leaf = store.GetTxLogNode(0, index);
  if (!path.ok()) return StoreError(path.status());
  if (!root.ok()) return StoreError(root.status());
  if (!leaf)
    return ErrorResponse(500, "INTERNAL",
                         "the log's leaf " + std::to_string(index) + " is missing");
  v.set_index(index);
  v.set_size(size);
  v.set_leaf_hash(HashHex(*leaf));
  for (const auto& h : *path) v.add_audit_path(HashHex(h));
  v.set_root(HashHex(*root));
  return MessageResponse(200, v, req);
}

HttpResponse TxLogConsistencyAnswer(const storage::Store& store, const HttpRequest& req) {
  if (auto bad = UnknownParams(req, {"first", "second", "height"})) return *bad;
  std::optional<HttpResponse> bad;
  const auto first = NumberParam(req, "first", &bad);
  if (bad) return *bad;
  auto second_param = NumberParam(req, "second", &bad);
  if (bad) return *bad;
  const auto height_param = NumberParam(req, "height", &bad);
  if (bad) return *bad;
  if (!first) return Bad("first (the size of the older log head) is required");
  if (second_param && height_param) {
    return Bad("give second (a log size) or height (the log's size after that height), not both");
  }
  if (*first == 0) {
    return Bad(
        "first must be at least 1: the empty log is a prefix of every log, so a proof "
        "from it proves nothing");
  }
  if (height_param) {
    auto at = SizeAtHeight(store, *height_param, &bad);
    if (!at.ok()) return std::move(*bad);
    second_param = *at;
  }
  auto current = CurrentSize(store);
  if (!current.ok()) return ErrorResponse(503, "NOT_READY", current.status().message());
  const uint64_t second = second_param.value_or(*current);
  if (second > *current) {
    return Bad("second " + std::to_string(second) + " is above the log's size " +
               std::to_string(*current));
  }
  if (*first > second) {
    return Bad("first " + std::to_string(*first) + " is above second " + std::to_string(second) +
               ": a log only grows");
  }
  const StoreLogReader reader(store);
  auto proof = crypto::LogConsistencyProof(reader, *first, second);
  auto r1 = crypto::LogRoot(reader, *first);
  auto r2 = crypto::LogRoot(reader, second);
  if (!proof.ok()) return StoreError(proof.status());
  if (!r1.ok()) return StoreError(r1.status());
  if (!r2.ok()) return StoreError(r2.status());
  pb::TxLogConsistencyView v;
  v.set_first(*first);
  v.set_second(second);
  for (const auto& h : *proof) v.add_proof(HashHex(h));
  v.set_first_root(HashHex(*r1));
  v.set_second_root(HashHex(*r2));
  return MessageResponse(200, v, req);
}

}  // namespace laurel::rpc
