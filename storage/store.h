// The node's durable store: committed blocks, ledger state, tx index, history indexes and
// the consensus safety record.
//
// Contract:
// - CommitBlock applies a block's whole effect (block, meta, state writes, tx index, history
//   entries, the new tip) atomically; with the RocksDB store, in one WriteBatch written with
//   sync=true. After a crash at any instant, the store shows either all of it or none of it.
// - Blocks are committed in height order starting at 0 (genesis); CommitBlock refuses a
//   height other than Height()+1 (or 0 on an empty store) with kInvalidArgument.
// - Reads see the last committed block. Thread safety: reads may run concurrently with each
//   other and with one writer (RocksDB store); the memory store is single-threaded.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "ledger/executor.h"
#include "ledger/state.h"
#include "types/tx.h"

namespace laurel::storage {

// A committed block as stored.
struct BlockRecord {
  uint64_t height = 0;
  Hash32 block_id{};
  Hash32 parent_id{};
  uint64_t time_ms = 0;
  std::vector<types::Tx> txs;
  Bytes header;       // consensus block header bytes (opaque to storage)
  Bytes certificate;  // commit certificate bytes (opaque to storage)
  // Filled from the execution result on commit:
  Hash32 state_root{};
  Hash32 tx_root{};
  std::vector<ledger::TxCode> results;
  // Consensus records (see PutConsensusRecord) written and deleted in the same atomic write as
  // the block, e.g. the node's batch records (node/batch_log.h). Not part of the block: empty
  // when read back.
  std::vector<std::pair<std::string, Bytes>> consensus_puts;
  std::vector<std::string> consensus_erases;
};

struct TxLocation {
  uint64_t height = 0;
  uint32_t position = 0;
  ledger::TxCode code = ledger::TxCode::kOk;
};

struct HistoryEntry {
  uint64_t height = 0;
  uint32_t position = 0;
  Hash32 tx_id{};
  std::string action;
  Bytes signer;
  ledger::TxCode code = ledger::TxCode::kOk;
  uint64_t time_ms = 0;
  // What the transaction did and who signed it (ledger::TxOutcome; zero/empty in entries
  // committed before the node kept them).
  std::string credential_id;
  std::string issuer_id;
  types::CredentialType type = types::CredentialType::kUnspecified;
  types::Level level = types::Level::kUnspecified;
  uint32_t new_status = 0;
  std::string reason;
  uint64_t valid_from = 0;
  uint64_t valid_until = 0;
  uint32_t key_version = 0;
  ledger::Authority signed_as = ledger::Authority::kNone;
  std::string signer_issuer_id;
  uint32_t signer_key_version = 0;
  std::vector<Bytes> signer_admins;
};

// Which of an issuer's history entries: those concerning it (its records and its credentials:
// what it did and what was done to it), those its key signed (also on other issuers' records,
// e.g. a parent suspending a child's card), or both.
enum class IssuerHistoryScope { kConcerning, kSignedBy, kAll };

// A filter on an issuer's credential list; nullopt matches any.
struct CredentialFilter {
  std::optional<types::CredentialStatus> status;
  std::optional<types::CredentialType> type;
  std::optional<types::Level> level;
};

struct CredentialPage {
  std::vector<ledger::CredentialRecord> credentials;  // in credential id (byte) order
  std::string next_page_token;                        // empty when there is no more
  uint64_t height = 0;                                // the committed height read
};

// Credential counts by (status, type, level); only cells with a non-zero count.
struct CountCell {
  types::CredentialStatus status = types::CredentialStatus::kUnspecified;
  types::CredentialType type = types::CredentialType::kUnspecified;
  types::Level level = types::Level::kUnspecified;
  uint64_t count = 0;
};

struct IssuerCounts {
  uint64_t height = 0;
  std::vector<CountCell> own;      // the issuer's own credentials
  std::vector<CountCell> subtree;  // its own and those of every issuer below it
};

struct ChainCounts {
  uint64_t height = 0;
  std::vector<CountCell> credentials;
  std::vector<std::pair<types::IssuerStatus, uint64_t>> issuers;  // non-zero, by status
  uint64_t transactions = 0;     // committed (any result)
  uint64_t transactions_ok = 0;  // committed with result OK
};

struct HistoryPage {
  std::vector<HistoryEntry> entries;  // oldest first
  std::string next_page_token;        // empty when there is no more
};

struct IssuerPage {
  std::vector<ledger::IssuerRecord> issuers;  // in issuer id (byte) order
  std::string next_page_token;                // empty when there is no more
};

// A read-only view of committed state pinned at one moment: everything read through it (state
// records, spent tx ids, the height) belongs to the same committed height, whatever commits
// meanwhile. For answers that combine several records (a gate decision reads an issuer chain
// and a credential). Thread safety: as the store; must not outlive it.
class StateSnapshot : public ledger::StateView {
 public:
  // The committed height the view is at; 0 after genesis only, and on an empty store.
  virtual uint64_t Height() const = 0;
};

class Store : public ledger::StateView {
 public:
  ~Store() override = default;

  // Whether genesis (height 0) has been committed.
  virtual bool Empty() const = 0;
  // Height of the last committed block; 0 after genesis only. Undefined when Empty().
  virtual uint64_t Height() const = 0;
  // State root after the last committed block (zeros when Empty()).
  virtual Hash32 StateRoot() const = 0;
  // A consistent view of the committed state as of now.
  virtual std::unique_ptr<StateSnapshot> Snapshot() const = 0;

  // Applies block + result atomically (see the contract above). `block.state_root`,
  // `tx_root` and `results` are taken from `result`. kSynced: durable when this returns.
  // kDeferred: atomic and ordered all the same, but durable only at the next synced commit or
  // Sync(); a crash may lose a suffix of such commits, never leave a gap or half a block. For
  // blocks that can be fetched again (block sync applies a batch, then syncs once).
  enum class Durability { kSynced, kDeferred };
  virtual Status CommitBlock(const BlockRecord& block, const ledger::BlockResult& result,
                             Durability durability) = 0;
  Status CommitBlock(const BlockRecord& block, const ledger::BlockResult& result) {
    return CommitBlock(block, result, Durability::kSynced);
  }
  // Makes every commit and write so far durable.
  virtual Status Sync() = 0;

  virtual Result<std::optional<BlockRecord>> GetBlock(uint64_t height) const = 0;
  virtual std::optional<uint64_t> HeightOfBlock(const Hash32& block_id) const = 0;
  virtual std::optional<TxLocation> GetTxLocation(const Hash32& tx_id) const = 0;

  // History, oldest first, at most `limit` entries (limit is clamped to 1..1000) starting
  // after `page_token` (empty: from the beginning). A malformed token is kInvalidArgument.
  virtual Result<HistoryPage> CredentialHistory(std::string_view credential_id,
                                                std::string_view page_token,
                                                size_t limit) const = 0;
  virtual Result<HistoryPage> IssuerHistory(std::string_view issuer_id, std::string_view page_token,
                                            size_t limit) const = 0;

  // An issuer's history by scope (IssuerHistory is kConcerning), with the same pages.
  virtual Result<HistoryPage> IssuerHistoryOf(std::string_view issuer_id,
                                              IssuerHistoryScope scope,
                                              std::string_view page_token,
                                              size_t limit) const = 0;

  // The credentials issued by `issuer_id` (not its children's) matching `filter`, in id order,
  // at most `limit` (clamped to 1..1000) after `page_token` (hex of the last id returned). Read
  // from the credential index (one seek per matching (status, type, level) cell, at most
  // limit+1 keys each), never by scanning the state. A malformed token is kInvalidArgument.
  virtual Result<CredentialPage> ListIssuerCredentials(std::string_view issuer_id,
                                                       const CredentialFilter& filter,
                                                       std::string_view page_token,
                                                       size_t limit) const = 0;
  // Counters kept by commit: an issuer's (zeros for an unknown one), the chain's.
  virtual Result<IssuerCounts> IssuerStats(std::string_view issuer_id) const = 0;
  virtual Result<ChainCounts> ChainStats() const = 0;

  // The lowest height whose state can be read with StateAt (0 unless the indexes were built
  // on an existing store, then the tip height at that moment).
  virtual uint64_t RetainedFrom() const = 0;
  // The state as of committed height `height`: every record as last written at or below it,
  // and the tx ids spent at or below it. kInvalidArgument above the tip, kNotFound below
  // RetainedFrom().
  virtual Result<std::unique_ptr<StateSnapshot>> StateAt(uint64_t height) const = 0;
  // The highest committed height whose block time is <= `time_ms` (block times never go
  // back), or nullopt when no retained block is that old.
  virtual Result<std::optional<uint64_t>> HeightAtTime(uint64_t time_ms) const = 0;

  // Registered issuers in id order, at most `limit` (clamped to 1..1000) starting after
  // `page_token` (empty: from the first). Holds one page in memory, whatever the number of
  // issuers. A token is the hex of the last id returned; a malformed one is kInvalidArgument.
  virtual Result<IssuerPage> ListIssuers(std::string_view page_token, size_t limit) const = 0;

  // Consensus persistence: one opaque record per name (e.g. "safety"), written synced.
  // `sync` = false only for tests that model a lost write (the consensus canaries).
  virtual Status PutConsensusRecord(std::string_view name, ByteView value, bool sync = true) = 0;
  // Several records in one write: all of them or none after a crash. Synced (`sync`): on disk
  // when this returns. Unsynced: in the write-ahead log, so a crash of the process (kill -9)
  // keeps them but a power loss before the next synced write (e.g. the next CommitBlock) may
  // not. May run on another thread than CommitBlock (RocksDB store): it touches the consensus
  // records only.
  virtual Status PutConsensusRecords(const std::vector<std::pair<std::string, Bytes>>& records,
                                     bool sync = true) = 0;
  virtual Result<std::optional<Bytes>> GetConsensusRecord(std::string_view name) const = 0;
  // Deletes records, unsynced: only for records a later load deletes again (saved blocks at or
  // below the committed height); absent names are ignored.
  virtual Status DeleteConsensusRecords(const std::vector<std::string>& names) = 0;
  // Every record whose name starts with `prefix`, in name order.
  virtual Result<std::vector<std::pair<std::string, Bytes>>> ListConsensusRecords(
      std::string_view prefix) const = 0;

  // State certificates (2f+1 validators' attestations of a height's state root), opaque bytes
  // by height, in the attestations column family. Written without sync: a lost one is formed
  // again from peers' attestations.
  virtual Status PutStateCertificate(uint64_t height, ByteView certificate) = 0;
  virtual Result<std::optional<Bytes>> GetStateCertificate(uint64_t height) const = 0;

  // Writes a consistent copy of the whole store (every column family, the consensus records
  // included, as of one moment) to `dir`, which must not exist; its parent must. The copy is a
  // store OpenRocksStore opens. Files are hard-linked where `dir` is on the same file system,
  // else copied. Writers are not blocked. kAlreadyExists when `dir` exists; kUnavailable for
  // the memory store; kIoError when the file system fails (a partial `dir` may remain).
  virtual Status CreateCheckpoint(const std::string& dir) const = 0;
  // A proof of a state record (or of its absence) against the state root of a committed
  // `height` (ledger/state_tree.h). kNotFound when that height is not committed or its tree
  // was pruned. Reads one pinned view: safe while blocks commit and pruning runs.
  virtual Result<ledger::StateProof> ProveState(uint64_t height,
                                                std::string_view state_key) const = 0;
  // The transaction log (docs/spec/state.md §12): its size after committed `height`
  // (kNotFound above the tip), and its complete subtree (level, index) (nullopt when not
  // complete yet). Subtrees never change once written.
  virtual Result<uint64_t> TxLogSize(uint64_t height) const = 0;
  virtual std::optional<Hash32> GetTxLogNode(uint8_t level, uint64_t index) const = 0;
  // Deletes the state tree nodes that no height >= keep_from reads; proofs at heights below
  // keep_from are then kNotFound. Unsynced; idempotent; never blocks CommitBlock.
  virtual Status PruneStateTree(uint64_t keep_from) = 0;
};

// RocksDB store at `path` (created if missing). Column families: blocks, block_index,
// tx_index, state, history, consensus, attestations, index (docs/storage.md).
Result<std::unique_ptr<Store>> OpenRocksStore(const std::string& path);
// In-memory store with the same behaviour, for tests and simulations.
std::unique_ptr<Store> NewMemoryStore();

}  // namespace laurel::storage
