// The ordered key-value engine under the store: RocksDB, or std::map for tests. The block,
// index and history logic (kv_store.cpp) is written once against this interface, so both
// stores behave identically by construction; only the engine differs.
//
// Contract: Write applies a whole batch atomically (all or nothing, also across a crash when
// `sync`); reads see whole batches only. An engine error is a Status, never an exception.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "storage/keys.h"
#include "storage/store.h"

namespace laurel::storage {

struct KvOp {
  keys::Cf cf;
  std::string key;
  std::string value;
  bool erase = false;  // delete `key` instead of writing `value`
  // When set, the value written instead of `value`: bytes the caller keeps unchanged until
  // Write returns (a block's tree nodes and records, written without a copy each).
  const std::string* value_ref = nullptr;

  std::string_view Value() const { return value_ref ? std::string_view(*value_ref) : value; }
};

class Kv {
 public:
  virtual ~Kv() = default;
  virtual Result<std::optional<std::string>> Get(keys::Cf cf, std::string_view key) const = 0;
  // Calls `visit` on keys >= `start` in `cf`, in order, until it returns false or the column
  // family ends. Holds at most one entry in memory at a time.
  virtual Status Scan(
      keys::Cf cf, std::string_view start,
      const std::function<bool(std::string_view key, std::string_view value)>& visit) const = 0;
  virtual Status Write(const std::vector<KvOp>& batch, bool sync) = 0;
  // Makes every batch written so far durable, as a synced Write would have.
  virtual Status Sync() = 0;
  // A read-only view of the engine as of now: reads through it see the batches written before
  // this call and none after. Its Write fails. It must not outlive this engine.
  virtual std::unique_ptr<Kv> Snapshot() const = 0;
  // A consistent on-disk copy of the engine at `dir` (Store::CreateCheckpoint).
  virtual Status Checkpoint(const std::string& dir) const {
    (void)dir;
    return Status::Unavailable("this store keeps no files: no checkpoint");
  }
};

// A Store over `kv`. For an engine with existing data, checks that the tip record and the
// last block agree (kCorruption otherwise).
Result<std::unique_ptr<Store>> NewKvStore(std::unique_ptr<Kv> kv);

}  // namespace laurel::storage
