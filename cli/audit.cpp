#include "cli/audit.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <set>
#include <thread>

#include "consensus/validator_set.h"
#include "crypto/ed25519.h"
#include "crypto/merkle_log.h"
#include "crypto/sha256.h"
#include "laurel/v1/chain.pb.h"
#include "ledger/codes.h"
#include "node/commit_proof.h"
#include "node/epochs.h"
#include "node/payload.h"

namespace laurel::cli {
namespace {

namespace cs = laurel::consensus;

std::string Hex(const Hash32& h) { return HexEncode(h); }

// Remembers the signatures it has verified: the QC certifying block h is carried again as the
// QC inside block h+1 and as the commit QC of block h-1, so each is checked once.
class MemoChecker final : public cs::SignatureChecker {
 public:
  bool Check(const cs::PublicKey& key, std::string_view domain, ByteView message,
             const cs::Signature& signature) override {
    crypto::Sha256 h;
    h.Update(domain).Update(key).Update(message).Update(signature);
    const Hash32 digest = h.Finish();
    if (verified_.count(digest) > 0) return true;
    if (!crypto::VerifyWithDomain(key, domain, message, signature)) return false;
    if (verified_.size() >= kMaxRemembered) verified_.clear();
    verified_.insert(digest);
    return true;
  }

 private:
  static constexpr size_t kMaxRemembered = 4096;
  std::set<Hash32> verified_;
};

// What the checks that need no state found about one block (computed in parallel).
struct Prepared {
  node::SyncBlock sb;
  std::vector<uint8_t> sig_ok;  // per tx: every signature verified
  std::string error;            // the first failure of the block's own checks
  std::string cert_error;       // the state certificate's signatures
  // The block names an epoch the auditor had not reached when the block was prepared: its
  // signatures (and its certificate's) are checked when it is applied.
  bool deferred = false;
  bool batches_deferred = false;  // a version-2 block of an epoch not reached yet
};

Result<Hash32> HashField(const std::string& bytes, const char* what) {
  if (bytes.size() != 32) return Status::InvalidArgument(std::string(what) + " is not 32 bytes");
  Hash32 h;
  std::copy(bytes.begin(), bytes.end(), h.begin());
  return h;
}

Result<Hash32> HexField(const std::string& hex, const char* what) {
  auto h = HexDecode32(hex);
  if (!h) return Status::InvalidArgument(std::string(what) + " is not 64 hex characters");
  return *h;
}

}  // namespace

bool FewCertificates(const AuditTotals& t) {
  const uint64_t certifiable = t.blocks > 0 ? t.blocks - 1 : 0;
  return certifiable > 0 && t.certified * 2 < certifiable;
}

Result<AuditBlock> AuditBlockFromProto(const v1::ChainBlock& m) {
  AuditBlock out;
  const v1::StoredBlock& b = m.block();
  storage::BlockRecord& r = out.record;
  r.height = b.meta().height();
  r.time_ms = b.meta().time_ms();
  LAUREL_ASSIGN_OR_RETURN(r.block_id, HashField(b.meta().block_id(), "block_id"));
  LAUREL_ASSIGN_OR_RETURN(r.parent_id, HashField(b.meta().parent_id(), "parent_id"));
  LAUREL_ASSIGN_OR_RETURN(r.state_root, HashField(b.meta().state_root(), "state_root"));
  LAUREL_ASSIGN_OR_RETURN(r.tx_root, HashField(b.meta().tx_root(), "tx_root"));
  if (b.meta().tx_count() != static_cast<uint32_t>(b.txs_size()) ||
      b.results_size() != b.txs_size()) {
    return Status::InvalidArgument("tx count, txs and results disagree");
  }
  r.txs.reserve(b.txs_size());
  for (const auto& t : b.txs()) {
    types::Tx tx;
    tx.body = ToBytes(t.body());
    tx.signatures.reserve(t.signatures_size());
    for (const auto& s : t.signatures()) {
      tx.signatures.push_back({ToBytes(s.public_key()), ToBytes(s.signature())});
    }
    r.txs.push_back(std::move(tx));
  }
  for (uint32_t code : b.results()) {
    if (code > ledger::kMaxTxCode) return Status::InvalidArgument("unknown result code");
    r.results.push_back(static_cast<ledger::TxCode>(code));
  }
  r.header = ToBytes(b.header());
  r.certificate = ToBytes(b.certificate());
  if (m.has_state_certificate()) {
    const v1::StateCertificate& c = m.state_certificate();
    node::StateCertificate cert;
    cert.data.epoch = c.epoch();
    cert.data.height = c.height();
    cert.data.time_ms = c.time_ms();
    if (!c.next_validators().empty()) {
      LAUREL_ASSIGN_OR_RETURN(cert.data.next_validators,
                              HexField(c.next_validators(), "certificate next_validators"));
    }
    LAUREL_ASSIGN_OR_RETURN(cert.data.block_id, HexField(c.block_id(), "certificate block_id"));
    LAUREL_ASSIGN_OR_RETURN(cert.data.state_root,
                            HexField(c.state_root(), "certificate state_root"));
    LAUREL_ASSIGN_OR_RETURN(cert.data.tx_root, HexField(c.tx_root(), "certificate tx_root"));
    for (const auto& s : c.signatures()) {
      auto sig = HexDecode(s.signature());
      if (!sig || sig->size() != crypto::kSignatureSize) {
        return Status::InvalidArgument("certificate signature is not 128 hex characters");
      }
      crypto::Signature fixed;
      std::copy(sig->begin(), sig->end(), fixed.begin());
      cert.signatures.emplace_back(s.signer(), fixed);
    }
    out.certificate = std::move(cert);
  }
  return out;
}

class ChainAuditor::Impl {
 public:
  Impl(ledger::Genesis genesis, unsigned threads, std::unique_ptr<storage::Store> store)
      : genesis_(std::move(genesis)),
        genesis_block_(cs::GenesisBlock(0, genesis_.chain_id)),
        executor_(genesis_.chain_id,
                  [this](const types::Tx& tx, const Hash32&) { return AlreadyVerified(tx); }),
        store_(store ? std::move(store) : storage::NewMemoryStore()) {
    threads_ = std::max(1u, threads);
    for (unsigned i = 0; i < threads_ + 1; ++i) {
      checkers_.push_back(std::make_unique<MemoChecker>());
    }
    AddEpoch(node::Epoch{0, 1, genesis_block_.id, genesis_.validators});
  }

  // Pipelined: `threads_` workers run the state-free checks (certificates, signatures) of the
  // blocks in order of height while this thread re-executes the blocks already checked, so
  // that execution overlaps with the signature checks of the blocks after it.
  std::optional<AuditFailure> Check(std::vector<AuditBlock> blocks,
                                    const std::function<void(const AuditTotals&)>& progress) {
    const size_t n = blocks.size();
    std::vector<Prepared> prepared(n);
    std::vector<uint8_t> ready(n, 0);  // guarded by mu
    std::mutex mu;
    std::condition_variable cv;
    std::atomic<size_t> next{0};
    std::atomic<bool> stop{false};
    std::vector<std::thread> pool;
    for (size_t w = 0; w < threads_; ++w) {
      pool.emplace_back([&, w] {
        for (size_t k; !stop.load() && (k = next.fetch_add(1)) < n;) {
          Prepare(w, blocks, prepared, k, k + 1);
          {
            std::lock_guard lock(mu);
            ready[k] = 1;
          }
          cv.notify_all();
        }
      });
    }
    std::optional<AuditFailure> failure;
    for (size_t k = 0; k < n; ++k) {
      {
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return ready[k] != 0; });
      }
      failure = Apply(blocks[k], prepared[k]);
      if (failure) break;
      if (progress) progress(totals_);
    }
    stop = true;
    for (auto& t : pool) t.join();
    return failure;
  }

  std::optional<AuditFailure> Finish() const {
    if (pending_.empty()) return std::nullopt;
    return AuditFailure{pending_.front(),
                        "no commit proof: no QC of a child in the next round certifies block " +
                            std::to_string(pending_.front()) + " or a descendant up to " +
                            std::to_string(pending_.back())};
  }

  Status ResumeAt(const AuditResumePoint& p) {
    if (next_height_ != 0) return Status::Corruption("the audit has already started");
    if (store_->Height() != p.height) {
      return Status::Corruption("the audit state is at height " + std::to_string(store_->Height()) +
                                ", the checkpoint at " + std::to_string(p.height));
    }
    auto block = store_->GetBlock(p.height);
    if (!block.ok() || !block->has_value()) {
      return Status::Corruption("the audit state holds no block at height " +
                                std::to_string(p.height));
    }
    if ((*block)->block_id != p.block_id) {
      return Status::Corruption("the audit state's block at height " + std::to_string(p.height) +
                                " is " + Hex((*block)->block_id) + ", the checkpoint says " +
                                Hex(p.block_id));
    }
    if (store_->StateRoot() != p.state_root) {
      return Status::Corruption("the audit state's root is " + Hex(store_->StateRoot()) +
                                ", the checkpoint says " + Hex(p.state_root));
    }
    auto log_rec = store_->GetState(ledger::kTxLogKey);
    auto log_head = log_rec ? crypto::DecodeLogHead(*log_rec)
                            : Result<crypto::LogHead>(Status::NotFound("no record 'l'"));
    if (!log_head.ok() || log_head->size != p.log_size || log_head->root != p.log_root) {
      return Status::Corruption("the audit state's transaction log head is not the checkpoint's "
                                "(size " + std::to_string(p.log_size) + ", root " +
                                Hex(p.log_root) + ")");
    }
    auto gov = ledger::ReadGovernance(*store_);
    if (!gov) return Status::Corruption("the audit state has no governance record");
    {
      std::lock_guard lock(epochs_mu_);
      epochs_.clear();
      epoch_base_ = p.epoch;
    }
    AddEpoch(node::Epoch{p.epoch, p.epoch_start_height, p.epoch_root_id, gov->validators});
    next_height_ = p.height + 1;
    prev_id_ = p.block_id;
    totals_ = p.totals;
    totals_.height = p.height;
    totals_.block_id = p.block_id;
    totals_.state_root = p.state_root;
    return Status::Ok();
  }

  AuditResumePoint ResumePoint() const {
    AuditResumePoint p;
    p.height = totals_.height;
    p.block_id = totals_.block_id;
    p.state_root = totals_.state_root;
    const node::Epoch& e = epochs_.back()->epoch;
    p.epoch = e.epoch;
    p.epoch_start_height = e.start_height;
    p.epoch_root_id = e.root_id;
    p.totals = totals_;
    if (auto rec = store_->GetState(ledger::kTxLogKey)) {
      if (auto head = crypto::DecodeLogHead(*rec); head.ok()) {
        p.log_size = head->size;
        p.log_root = head->root;
      }
    }
    return p;
  }

  uint64_t next_height() const { return next_height_; }
  bool proof_pending() const { return !pending_.empty(); }
  const AuditTotals& totals() const { return totals_; }

 private:
  bool AlreadyVerified(const types::Tx& tx) const {
    if (cur_sig_ok_ == nullptr || cur_txs_ == nullptr) return false;
    const types::Tx* p = &tx;
    if (std::less<>()(p, cur_txs_) || !std::less<>()(p, cur_txs_ + cur_sig_ok_->size())) {
      return false;
    }
    return (*cur_sig_ok_)[static_cast<size_t>(p - cur_txs_)] != 0;
  }

  // One validator set per worker (and one for Apply, index threads_) per epoch: the checkers
  // memoise and are not shared between threads.
  struct EpochSets {
    node::Epoch epoch;
    std::vector<cs::PublicKey> keys;
    std::vector<std::unique_ptr<cs::ValidatorSet>> sets;
  };

  void AddEpoch(node::Epoch e) {
    auto es = std::make_unique<EpochSets>();
    es->keys = node::ValidatorKeys(e.validators);
    for (unsigned i = 0; i < threads_ + 1; ++i) {
      es->sets.push_back(
          std::make_unique<cs::ValidatorSet>(e.epoch, es->keys, e.root_id, checkers_[i].get()));
    }
    es->epoch = std::move(e);
    std::lock_guard lock(epochs_mu_);
    epochs_.push_back(std::move(es));
  }
  // The sets of `epoch` once the audit has reached it, else null.
  const EpochSets* Epoch(uint64_t epoch) const {
    std::lock_guard lock(epochs_mu_);
    if (epoch < epoch_base_ || epoch - epoch_base_ >= epochs_.size()) return nullptr;
    return epochs_[epoch - epoch_base_].get();
  }

  // The state-free checks of blocks [begin, end) with worker `w`'s validator sets.
  void Prepare(size_t w, const std::vector<AuditBlock>& blocks, std::vector<Prepared>& out,
               size_t begin, size_t end) const {
    for (size_t k = begin; k < end; ++k) {
      const storage::BlockRecord& rec = blocks[k].record;
      Prepared& p = out[k];
      auto sb = node::RebuildCommittedBlock(rec, genesis_block_);
      if (!sb.ok()) {
        // The id is rebuilt from the header and the txs: a changed tx, header or id shows here.
        p.error = rec.height == 0
                      ? "the genesis block id differs from the one of the genesis document"
                      : sb.status().message();
        continue;
      }
      p.sb = std::move(sb).value();
      if (rec.height > 0) {
        const EpochSets* es = Epoch(p.sb.block.epoch);
        if (es == nullptr) {
          p.deferred = true;  // checked when applied, once the epoch is known
        } else if (const Status st = node::VerifyCommittedBlock(*es->sets[w], p.sb); !st.ok()) {
          p.error = "commit proof: " + st.message();
          continue;
        }
        // The node executes a non-canonical payload as a block without transactions and then
        // stores none; a canonical one is exactly the stored txs (the id was rebuilt from them).
        // A version-2 payload: the stored txs are its batches' (their digests), checked once
        // the epoch's keys are known.
        if (node::IsBatchPayload(p.sb.block.payload) && node::DecodeBatchPayload(p.sb.block.payload).ok()) {
          if (es != nullptr) {
            if (const Status st = CheckBatchTxs(p.sb.block, rec, es->keys); !st.ok()) {
              p.error = st.message();
              continue;
            }
          } else {
            p.batches_deferred = true;
          }
        } else if (auto decoded = node::DecodePayload(p.sb.block.payload);
                   (decoded ? decoded->size() : 0) != rec.txs.size()) {
          const size_t executed = decoded ? decoded->size() : 0;
          p.error = "the block's payload holds " + std::to_string(executed) +
                    " executable txs but the record " + std::to_string(rec.txs.size());
          continue;
        }
      }
      p.sig_ok.resize(rec.txs.size());
      for (size_t i = 0; i < rec.txs.size(); ++i) {
        const types::Tx& tx = rec.txs[i];
        bool ok = !tx.signatures.empty();
        for (const auto& s : tx.signatures) {
          if (!ok) break;
          ok = crypto::VerifyWithDomain(s.public_key, types::kTxSignDomain, tx.body, s.signature);
        }
        p.sig_ok[i] = ok ? 1 : 0;
      }
      if (blocks[k].certificate && !p.deferred) {
        p.cert_error = CertificateSignatureError(*blocks[k].certificate);
      }
    }
  }

  // A version-2 block: its stored txs split into its batches, each hashing to its proof's
  // digest (node::SplitBatchTxs).
  Status CheckBatchTxs(const cs::Block& b, const storage::BlockRecord& rec,
                       const std::vector<cs::PublicKey>& keys) const {
    auto proofs = node::DecodeBatchPayload(b.payload);
    if (!proofs.ok()) return Status::Ok();
    std::vector<Bytes> wires;
    wires.reserve(rec.txs.size());
    for (const auto& tx : rec.txs) wires.push_back(types::EncodeTx(tx));
    auto split =
        node::SplitBatchTxs(*proofs, genesis_.chain_id, b.epoch, keys, b.height, wires);
    if (!split.ok()) return Status::InvalidArgument("batch payload: " + split.status().message());
    return Status::Ok();
  }

  std::string CertificateSignatureError(const node::StateCertificate& c) const {
    const EpochSets* es = Epoch(c.data.epoch);
    if (es == nullptr) {
      return "state certificate of epoch " + std::to_string(c.data.epoch) +
             ", which the chain has not reached";
    }
    const Status st = node::VerifyStateCertificate(*es->sets.front(), genesis_.chain_id, c);
    return st.ok() ? std::string() : st.message();
  }

  std::optional<AuditFailure> Fail(uint64_t height, std::string what) const {
    return AuditFailure{height, std::move(what)};
  }

  std::optional<AuditFailure> Apply(const AuditBlock& ab, const Prepared& p) {
    const storage::BlockRecord& rec = ab.record;
    const uint64_t h = rec.height;
    if (h != next_height_) {
      return Fail(next_height_, "the node sent height " + std::to_string(h) + " instead");
    }
    if (!p.error.empty()) return Fail(h, p.error);
    const cs::Block& b = p.sb.block;
    const node::Epoch& epoch = epochs_.back()->epoch;  // the epoch of height h (Apply's thread)
    std::string cert_error = p.cert_error;
    if (h > 0) {
      // Each block is decided by its height's epoch: a block the old set certified above its
      // epoch's last block is not part of the chain (docs/spec/consensus.md §13).
      if (b.epoch != epoch.epoch) {
        return Fail(h, "the block is of epoch " + std::to_string(b.epoch) + " but height " +
                           std::to_string(h) + " belongs to epoch " + std::to_string(epoch.epoch));
      }
      if (p.deferred) {
        if (const Status st = node::VerifyCommittedBlock(*epochs_.back()->sets[threads_], p.sb);
            !st.ok()) {
          return Fail(h, "commit proof: " + st.message());
        }
        if (ab.certificate) cert_error = CertificateSignatureError(*ab.certificate);
      }
      if (p.batches_deferred) {
        if (const Status st = CheckBatchTxs(b, rec, epochs_.back()->keys); !st.ok()) {
          return Fail(h, st.message());
        }
      }
    }
    ledger::BlockResult result;
    if (h == 0) {
      if (!rec.txs.empty()) return Fail(h, "the genesis block has transactions");
      result = ledger::ExecuteGenesis(genesis_);
    } else {
      if (b.height != h) {
        return Fail(h, "the block header says height " + std::to_string(b.height));
      }
      if (b.parent_id != prev_id_ || rec.parent_id != b.parent_id) {
        return Fail(h, "parent hash link broken: the block's parent is " + Hex(b.parent_id) +
                           ", block " + std::to_string(h - 1) + " is " + Hex(prev_id_));
      }
      if (rec.time_ms != b.timestamp_ms) {
        return Fail(h, "the stored time differs from the header's timestamp");
      }
      if (node::CommitQcCoversBlock(p.sb)) {
        pending_.clear();  // the 2-chain proof commits this block and its pending ancestors
      } else {
        pending_.push_back(h);
      }
      cur_txs_ = rec.txs.data();
      cur_sig_ok_ = &p.sig_ok;
      const ledger::BlockContext ctx{h, b.timestamp_ms, store_->StateRoot()};
      result = executor_.ExecuteBlock(*store_, ctx, rec.txs);
      cur_txs_ = nullptr;
      cur_sig_ok_ = nullptr;
    }
    if (rec.results.size() != result.outcomes.size()) {
      return Fail(h, "the node records " + std::to_string(rec.results.size()) + " results for " +
                         std::to_string(result.outcomes.size()) + " txs");
    }
    for (size_t i = 0; i < rec.results.size(); ++i) {
      if (rec.results[i] != result.outcomes[i].code) {
        return Fail(h, "tx " + std::to_string(i) + " (" + Hex(result.outcomes[i].tx_id) +
                           ") result: the node records " + ledger::TxCodeName(rec.results[i]) +
                           ", re-execution gives " + ledger::TxCodeName(result.outcomes[i].code));
      }
    }
    if (rec.tx_root != result.tx_root) {
      return Fail(h, "tx root: the node records " + Hex(rec.tx_root) + ", re-execution gives " +
                         Hex(result.tx_root));
    }
    if (rec.state_root != result.state_root) {
      return Fail(h, "state root: the node records " + Hex(rec.state_root) +
                         ", re-execution gives " + Hex(result.state_root));
    }
    if (ab.certificate) {
      if (!cert_error.empty()) return Fail(h, cert_error);
      const node::StateAttestation& d = ab.certificate->data;
      if (d.height != h || d.block_id != b.id || d.time_ms != b.timestamp_ms) {
        return Fail(h, "the state certificate is for another block");
      }
      if (h > 0 && d.epoch != epoch.epoch) {
        return Fail(h, "the state certificate is of epoch " + std::to_string(d.epoch) +
                           ", the block of epoch " + std::to_string(epoch.epoch));
      }
      if (d.state_root != result.state_root || d.tx_root != result.tx_root) {
        return Fail(h, "state certificate: certified state root " + Hex(d.state_root) +
                           " and tx root " + Hex(d.tx_root) + ", re-execution gives " +
                           Hex(result.state_root) + " and " + Hex(result.tx_root));
      }
      ++totals_.certified;
      totals_.last_certified = h;
    }
    if (const Status st = store_->CommitBlock(rec, result); !st.ok()) {
      return Fail(h, "cannot apply the block to the audit state: " + st.ToString());
    }
    if (h > 0) {
      auto gov = ledger::ReadGovernance(*store_);
      if (!gov) return Fail(h, "the audit state has no governance record");
      const bool ends = gov->validators != epoch.validators;
      const Hash32 want = ends ? node::ValidatorSetHash(gov->validators) : Hash32{};
      if (ab.certificate && ab.certificate->data.next_validators != want) {
        return Fail(h, ends ? "the block ends epoch " + std::to_string(epoch.epoch) +
                                  " but its state certificate does not name the next set"
                            : "the state certificate names a next validator set, but the "
                              "block does not change the set");
      }
      if (ends) {
        ++totals_.epochs;
        AddEpoch(node::Epoch{epoch.epoch + 1, h + 1, b.id, gov->validators});
      }
    }
    prev_id_ = b.id;
    ++next_height_;
    ++totals_.blocks;
    totals_.txs += rec.txs.size();
    totals_.height = h;
    totals_.block_id = b.id;
    totals_.state_root = result.state_root;
    return std::nullopt;
  }

  ledger::Genesis genesis_;
  cs::Block genesis_block_;
  unsigned threads_ = 1;
  std::vector<std::unique_ptr<MemoChecker>> checkers_;  // one per worker, and Apply's
  mutable std::mutex epochs_mu_;
  std::deque<std::unique_ptr<EpochSets>> epochs_;  // by epoch from epoch_base_; Apply appends
  uint64_t epoch_base_ = 0;                        // the first epoch held (above 0 after ResumeAt)
  ledger::Executor executor_;
  std::unique_ptr<storage::Store> store_;
  // The block being executed: its txs and which of them have verified signatures.
  const types::Tx* cur_txs_ = nullptr;
  const std::vector<uint8_t>* cur_sig_ok_ = nullptr;
  uint64_t next_height_ = 0;
  Hash32 prev_id_{};
  std::vector<uint64_t> pending_;  // heights waiting for a descendant's commit proof
  AuditTotals totals_;
};

ChainAuditor::ChainAuditor(ledger::Genesis genesis, unsigned threads,
                           std::unique_ptr<storage::Store> store)
    : impl_(std::make_unique<Impl>(std::move(genesis), threads, std::move(store))) {}
Status ChainAuditor::ResumeAt(const AuditResumePoint& p) { return impl_->ResumeAt(p); }
AuditResumePoint ChainAuditor::ResumePoint() const { return impl_->ResumePoint(); }
ChainAuditor::~ChainAuditor() = default;

std::optional<AuditFailure> ChainAuditor::Check(
    std::vector<AuditBlock> blocks, const std::function<void(const AuditTotals&)>& progress) {
  return impl_->Check(std::move(blocks), progress);
}
std::optional<AuditFailure> ChainAuditor::Finish() const { return impl_->Finish(); }
uint64_t ChainAuditor::next_height() const { return impl_->next_height(); }
bool ChainAuditor::proof_pending() const { return impl_->proof_pending(); }
const AuditTotals& ChainAuditor::totals() const { return impl_->totals(); }

}  // namespace laurel::cli
