// The gate bundle (docs/spec/state.md §14, docs/gate.md "Offline"): the issuer registry and
// every issuer's status list as of one certified height, provable against genesis alone.
//
// Proof: the 256 gate index records ("x/<bucket>", ledger/state.h) are proven against the
// certified state root with ordinary state tree proofs; each lists the SHA-256 of every issuer
// record and status chunk in its bucket. So the bundle's records are checked by hash against
// proven index records, and the bundle is complete: a record missing, added, old or altered
// does not match its bucket's list. Format 2 sends no index record the gate can rebuild: only
// each entry's height; the keys and hashes come from the records themselves. A delta (`since` >
// 0) carries the index proofs of the new height, the heights of the entries written after
// `since` and those records - a status chunk the gate holds as a patch of the slots that
// changed; applied to the gate's bundle of height `since`, it gives what a full bundle of the
// new height gives.
//
// Thread safety: pure functions; a CheckedBundle is a value.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "laurel/v1/gate.pb.h"
#include "ledger/state.h"
#include "ledger/state_tree.h"
#include "verifier/verifier.h"

namespace laurel::gate {

inline constexpr uint32_t kBundleFormat = 2;
// The oldest format a gate still reads (a bundle held from before format 2).
inline constexpr uint32_t kOldestBundleFormat = 1;
// The most a bundle may inflate to (the gzip bomb guard); 1.5 M credentials take ~12 MB.
inline constexpr size_t kMaxBundleBytes = size_t{512} << 20;
inline constexpr std::string_view kBundleMediaType = "application/vnd.laurel.gate-bundle+gzip";

// gzip (RFC 1952) of `data`, and back (refusing output beyond `max_out` bytes).
std::string Gzip(std::string_view data);
Result<std::string> Gunzip(std::string_view data, size_t max_out = kMaxBundleBytes);

// What the serving node supplies: the state at a certified height.
struct BundleSource {
  std::string chain_id;
  uint64_t height = 0;
  uint64_t time_ms = 0;
  Bytes certificate;
  std::vector<::laurel::v1::EpochChangeView> epoch_changes;
  // The record under a state key at `height`.
  std::function<std::optional<std::string>(const std::string& key)> read;
  // Its state tree proof at `height`.
  std::function<Result<ledger::StateProof>(const std::string& key)> prove;
  // For a delta: the record under a key at `since` (what the gate holds). Unset, the delta
  // carries whole records and index records, as format 1 did.
  std::function<std::optional<std::string>(const std::string& key)> read_since;
};

// The full bundle (since == 0), or the delta over the bundle of height `since` (since <
// height; a delta holds the records whose index entry was written after `since`).
Result<::laurel::v1::GateBundle> BuildBundle(const BundleSource& src, uint64_t since);

// A bundle whose certificate, index proofs and records all checked; always whole (a delta is
// checked merged into the bundle it applies to).
struct CheckedBundle {
  std::string chain_id;
  uint64_t height = 0;
  uint64_t time_ms = 0;
  uint64_t epoch = 0;
  Hash32 state_root{};
  std::vector<std::string> signers;
  std::array<std::optional<std::string>, ledger::kGateBuckets> index;  // "x/.." record bytes
  std::map<std::string, std::string> records;                          // "i/.." and "s/.." records
  // The whole bundle these came from (a delta merged in), in format 2 as a full bundle of this
  // height is served.
  ::laurel::v1::GateBundle full;
  // SHA-256 over the index values and the records: the same for a delta applied and a fresh
  // full bundle of the same state.
  Hash32 content_digest{};
};

// Checks `bundle` against `genesis` (walking its epoch changes). A delta needs `base`, the
// checked bundle of height bundle.since(). Fails with kPermissionDenied naming what failed.
Result<CheckedBundle> CheckBundle(const ::laurel::v1::GateBundle& bundle,
                                  const verifier::ValidatorSet& genesis,
                                  const CheckedBundle* base = nullptr);

// Parses the served bytes (gzip of the protobuf).
Result<::laurel::v1::GateBundle> DecodeBundle(std::string_view gz);
std::string EncodeBundle(const ::laurel::v1::GateBundle& bundle);  // gzip of the protobuf

}  // namespace laurel::gate
