// The route table of the node's HTTP API (docs/api.md). Every route is registered in
// BuildRouter, so a new endpoint (credentials, issuers, history, verify, metrics) is one more
// line there plus its handler.
//
// Thread safety: the handlers call `node` from the server's threads (NodeApi allows any
// thread) and answer from node callbacks; `node` must outlive the router and every request
// still waiting on it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "node/node_api.h"
#include "rpc/limits.h"
#include "rpc/router.h"

namespace laurel::rpc {

// ?wait=commit: the default and the largest accepted timeout_ms (larger values are clamped).
inline constexpr uint64_t kDefaultCommitWaitMs = 10'000;
inline constexpr uint64_t kMaxCommitWaitMs = 60'000;
// POST /v1/txs:batch: transactions per request unless [rpc] max_batch_txs says otherwise.
inline constexpr size_t kDefaultMaxBatchTxs = 1000;
// POST /v1/verify:batch: cards per request, and bytes per request body (below [rpc]
// max_body_bytes, which applies first). Together they bound how long one request holds an I/O
// thread (256 decisions: about 12 ms on the 2-core development machine).
inline constexpr size_t kMaxVerifyBatchCards = 256;
inline constexpr size_t kMaxVerifyBatchBytes = 512 * 1024;

// What the expensive routes (POST /v1/txs, GET /v1/blocks ranges) are limited by. Either may be
// null: without `clients` nothing is rate-limited, without `work` the work runs on the calling
// thread. Limits apply to requests whose remote_address is an IP address.
struct RouteLimits {
  std::shared_ptr<ClientLimiter> clients;      // token buckets and commit waits per client
  std::shared_ptr<WorkPool> work;              // runs the expensive work off the I/O threads
  size_t max_batch_txs = kDefaultMaxBatchTxs;  // POST /v1/txs:batch: transactions per request
};

// GET /v1/nodes: the public API URLs of the network's nodes as the operator configured them
// ([rpc] public_url and peer_public_urls, docs/operator.md); both may be empty.
struct NodeDirectory {
  std::string self_url;
  std::vector<std::string> peer_urls;
};

Router BuildRouter(node::NodeApi& node, const RouteLimits& limits = {},
                   const NodeDirectory& directory = {});

// The auditors' routes (routes_chain.cpp): genesis and block ranges with proofs.
void AddChainRoutes(Router& r, node::NodeApi& node, const RouteLimits& limits = {});

// "ACCEPTED", "ALREADY_KNOWN", ... (local to rpc/ so that it links without the node library).
const char* AdmitName(node::AdmitCode c);

}  // namespace laurel::rpc
