// Test doubles for the RPC tests: a fake NodeApi over a memory store holding a genesis and one
// block, whose callbacks fire later from its own thread (as the node's do), and a minimal
// blocking HTTP/1.1 client over raw sockets (so tests can also send half or garbled requests).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/metrics.h"
#include "crypto/ed25519.h"
#include "ledger/executor.h"
#include "node/node_api.h"
#include "node/wire.h"
#include "rpc/router.h"
#include "storage/store.h"
#include "tests/unit/storage/chain_util.h"
#include "types/card.h"
#include "types/tx.h"
#include "verifier/verifier.h"

namespace laurel::rpc::test {

using namespace std::chrono_literals;

// Runs functions after a delay on one background thread. Pending ones are dropped on
// destruction.
class DelayedRunner {
 public:
  DelayedRunner() : thread_([this] { Loop(); }) {}
  ~DelayedRunner() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  void After(std::chrono::milliseconds delay, std::function<void()> fn) {
    {
      std::lock_guard lock(mu_);
      queue_.emplace(std::chrono::steady_clock::now() + delay, std::move(fn));
    }
    cv_.notify_all();
  }

 private:
  void Loop() {
    std::unique_lock lock(mu_);
    while (!stop_) {
      if (queue_.empty()) {
        cv_.wait(lock);
        continue;
      }
      auto first = queue_.begin();
      if (first->first > std::chrono::steady_clock::now()) {
        cv_.wait_until(lock, first->first);
        continue;
      }
      auto fn = std::move(first->second);
      queue_.erase(first);
      lock.unlock();
      fn();
      lock.lock();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::multimap<std::chrono::steady_clock::time_point, std::function<void()>> queue_;
  bool stop_ = false;
  std::thread thread_;  // last: starts after the fields above exist
};

inline types::Tx MakeRegisterIssuerTx(const std::string& chain_id, const std::string& issuer_id,
                                      const crypto::PrivateKey& signer) {
  types::TxBody body;
  body.chain_id = chain_id;
  body.nonce = ToBytes("nonce-" + issuer_id);
  body.expires_at_height = 1000;
  types::RegisterIssuer r;
  r.issuer_id = issuer_id;
  r.name = "Union " + issuer_id;
  const auto issuer_key = crypto::PrivateKey::Generate();
  r.public_key = Bytes(issuer_key.public_key().begin(), issuer_key.public_key().end());
  r.grants.push_back(types::TypeGrant{types::CredentialType::kMember, {}});
  r.can_delegate = true;
  body.action = r;
  types::Tx tx = types::MakeTx(body);
  types::SignTx(tx, signer);
  return tx;
}

// A NodeApi whose store holds genesis (with the top-level issuer "city-fed") and block 1 =
// {a valid register_issuer of "acme-union", a garbage tx}. Tests add blocks with Commit.
class FakeNode : public node::NodeApi {
 public:
  FakeNode()
      : admin_(InitAndGenerate()),
        fed_(crypto::PrivateKey::Generate()),
        validator_(crypto::PrivateKey::Generate()),
        store_(storage::NewMemoryStore()) {
    genesis_.chain_id = "rpc-test-chain";
    genesis_.genesis_time_ms = 1'700'000'000'000;
    genesis_.validators.push_back(types::Validator{
        Bytes(validator_.public_key().begin(), validator_.public_key().end()), "v1",
        "127.0.0.1:1"});
    genesis_.admin_keys.push_back(Bytes(admin_.public_key().begin(), admin_.public_key().end()));
    genesis_.threshold = 1;
    genesis_.issuers.push_back(types::RegisterIssuer{
        "city-fed", "City Federation", "", Bytes(fed_.public_key().begin(), fed_.public_key().end()),
        {types::TypeGrant{types::CredentialType::kMember, {}},
         types::TypeGrant{types::CredentialType::kModelWorker,
                          {types::Level::kMunicipal, types::Level::kDistrict}}},
        true});
    LAUREL_CHECK(storage::test::CommitGenesis(*store_, genesis_).ok(), "genesis");
    auto g = store_->GetBlock(0);
    LAUREL_CHECK(g.ok() && g->has_value(), "genesis block");
    genesis_id_ = (*g)->block_id;

    block_txs_.push_back(MakeRegisterIssuerTx(genesis_.chain_id, "acme-union", admin_));
    types::Tx garbage;
    garbage.body = {0xff, 0x01, 0x02};
    block_txs_.push_back(garbage);
    ledger::Executor exec(genesis_.chain_id);
    auto r = storage::test::ExecuteAndCommit(*store_, exec, genesis_, genesis_id_, block_txs_,
                                             &block1_id_);
    LAUREL_CHECK(r.ok(), "block 1");
    tip_id_ = block1_id_;
  }

  // A transaction for `action` with a fresh nonce, signed by each of `signers`.
  types::Tx MakeTx(types::Action action, std::vector<const crypto::PrivateKey*> signers) {
    types::TxBody body;
    body.chain_id = genesis_.chain_id;
    body.nonce = ToBytes("nonce-" + std::to_string(++nonce_) + "-fake-node");
    body.expires_at_height = 1'000'000;
    body.action = std::move(action);
    types::Tx tx = types::MakeTx(body);
    for (const auto* k : signers) types::SignTx(tx, *k);
    return tx;
  }
  // Executes `txs` as the next block and commits it; returns each transaction's code. Call
  // only while no request is being served (the memory store is single-threaded).
  std::vector<ledger::TxCode> Commit(std::vector<types::Tx> txs) {
    ledger::Executor exec(genesis_.chain_id);
    auto r = storage::test::ExecuteAndCommit(*store_, exec, genesis_, tip_id_, std::move(txs),
                                             &tip_id_);
    LAUREL_CHECK(r.ok(), "commit");
    std::vector<ledger::TxCode> codes;
    for (const auto& o : r->outcomes) codes.push_back(o.code);
    return codes;
  }

  // ---- configuration (set before the requests that use it) ----
  mutable std::mutex mu;
  node::AdmitResult admit;                       // what SubmitTx answers (tx_id filled in)
  std::map<Hash32, node::AdmitResult> admit_by_tx;  // ...unless the tx id is here
  std::optional<storage::TxLocation> commit_at;  // WaitForCommit: fires with this...
  std::chrono::milliseconds commit_delay{100};   // ...after this; nullopt: times out
  std::set<Hash32> pending;
  std::atomic<bool> ready{true};
  // SubmitTx works this long on the caller's thread, as the node's signature checks do.
  std::atomic<int> submit_work_ms{0};

  // ---- observations ----
  std::vector<types::Tx> submitted;
  std::atomic<int> wait_calls{0};
  std::atomic<int> submit_calls{0};  // SubmitTx entered (before its work)

  const crypto::PrivateKey& admin() const { return admin_; }
  const crypto::PrivateKey& fed() const { return fed_; }  // key v1 of issuer "city-fed"
  const crypto::PrivateKey& validator() const { return validator_; }  // the one validator
  metrics::Registry* registry = nullptr;                // what metrics() answers
  std::string evidence_path;  // the evidence file ListEvidence reads (empty: none)
  const std::string& chain_id() const { return genesis_.chain_id; }
  const std::vector<types::Tx>& block_txs() const { return block_txs_; }
  const Hash32& block1_id() const { return block1_id_; }
  const Hash32& genesis_id() const { return genesis_id_; }

  void SubmitTx(types::Tx tx, std::function<void(node::AdmitResult)> done) override {
    ++submit_calls;
    if (const int ms = submit_work_ms.load(); ms > 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    }
    node::AdmitResult r;
    {
      std::lock_guard lock(mu);
      const Hash32 id = types::TxId(tx);
      auto it = admit_by_tx.find(id);
      r = it == admit_by_tx.end() ? admit : it->second;
      r.tx_id = id;
      if (r.code == node::AdmitCode::kAccepted) pending.insert(r.tx_id);
      submitted.push_back(std::move(tx));
    }
    runner_.After(5ms, [done = std::move(done), r] { done(r); });
  }

  void WaitForCommit(const Hash32&, std::chrono::milliseconds timeout,
                     std::function<void(std::optional<storage::TxLocation>)> done) override {
    ++wait_calls;
    std::optional<storage::TxLocation> loc;
    std::chrono::milliseconds delay;
    {
      std::lock_guard lock(mu);
      loc = commit_at;
      delay = commit_delay;
    }
    if (loc && delay < timeout) {
      runner_.After(delay, [done = std::move(done), loc] { done(loc); });
    } else {
      runner_.After(timeout, [done = std::move(done)] { done(std::nullopt); });
    }
  }

  bool IsPending(const Hash32& tx_id) const override {
    std::lock_guard lock(mu);
    return pending.count(tx_id) > 0;
  }

  node::NodeStatus Status() const override {
    node::NodeStatus s;
    s.chain_id = genesis_.chain_id;
    s.node_name = "node-a";
    s.public_key = Bytes(32, 0xab);
    s.height = store_->Height();
    s.last_block_id = block1_id_;
    s.last_block_time_ms = 1'700'000'001'000;
    s.state_root = store_->StateRoot();
    s.round = 7;
    s.epoch = 1;
    s.validators = 1;
    s.peers_connected = 0;
    s.mempool_txs = 3;
    s.certified_height = 1;
    s.ready = ready.load();
    if (!s.ready) s.not_ready_reason = "no peers: heard from 0 of the 2 needed";
    return s;
  }

  const storage::Store& store() const override { return *store_; }
  bool Ready() const override { return ready.load(); }
  const ledger::Genesis& genesis() const override { return genesis_; }
  metrics::Registry* metrics() const override { return registry; }
  Result<node::EvidencePage> ListEvidence(uint64_t after, size_t limit) const override {
    if (evidence_path.empty()) return node::EvidencePage{};
    return node::ReadEvidencePage(evidence_path, after, limit);
  }

 private:
  static crypto::PrivateKey InitAndGenerate() {
    crypto::Init();
    return crypto::PrivateKey::Generate();
  }

  crypto::PrivateKey admin_;
  crypto::PrivateKey fed_;
  crypto::PrivateKey validator_;
  std::unique_ptr<storage::Store> store_;
  ledger::Genesis genesis_;
  Hash32 genesis_id_{};
  Hash32 block1_id_{};
  Hash32 tip_id_{};
  uint64_t nonce_ = 0;
  std::vector<types::Tx> block_txs_;
  DelayedRunner runner_;  // last: destroyed first, so no callback runs into a dead FakeNode
};

// Dispatches `req` through `router` without a socket; the routes these tests call answer
// before Dispatch returns.
inline HttpResponse Call(const Router& router, HttpRequest req) {
  HttpResponse out;
  int calls = 0;
  router.Dispatch(std::move(req), [&](HttpResponse r) {
    ++calls;
    out = std::move(r);
  });
  LAUREL_CHECK(calls == 1, "the route did not answer exactly once");
  return out;
}

// GET `target` through `router` (Call).
inline HttpResponse CallGet(const Router& router, const std::string& target) {
  HttpRequest req;
  req.method = "GET";
  req.target = target;
  return Call(router, std::move(req));
}

// Stores the fake node's one validator's real certificate of committed height `h`.
inline void Certify(FakeNode& node, uint64_t h) {
  auto rec = node.store().GetBlock(h);
  LAUREL_CHECK(rec.ok() && rec->has_value(), "no block to certify");
  node::StateCertificate c;
  c.data.height = h;
  c.data.block_id = (*rec)->block_id;
  c.data.state_root = (*rec)->state_root;
  c.data.tx_root = (*rec)->tx_root;
  c.data.time_ms = (*rec)->time_ms;
  c.signatures.emplace_back(
      0, node.validator().Sign(node::AttestationSignBytes(node.chain_id(), c.data)));
  auto& store = const_cast<storage::Store&>(node.store());
  LAUREL_CHECK(store.PutStateCertificate(h, node::EncodeStateCertificate(c)).ok(), "certificate");
}

inline uint64_t NowUnixS() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

// A model-worker (municipal) card of "city-fed", key version 1, for credential `id`.
inline types::CardBody CardBodyFor(const FakeNode& node, const std::string& id, uint64_t from,
                                   uint64_t until) {
  types::CardBody b;
  b.chain_id = node.chain_id();
  b.credential_id = id;
  b.issuer_id = "city-fed";
  b.key_version = 1;
  b.type = types::CredentialType::kModelWorker;
  b.level = types::Level::kMunicipal;
  b.holder_name = "Wang Fang";
  b.member_no = "QD-00042";
  b.salt = Bytes(types::kCardSaltSize, 0x11);
  b.valid_from = from;
  b.valid_until = until;
  return b;
}

// Issues the card `b` on the ledger (one block) and returns its signed text.
inline std::string IssueCard(FakeNode& node, const types::CardBody& b) {
  const Hash32 d = types::CardDigest(types::EncodeCardBody(b));
  const auto codes = node.Commit({node.MakeTx(
      types::IssueCredential{b.credential_id, b.issuer_id, b.type, b.level,
                             Bytes(d.begin(), d.end()), b.valid_from, b.valid_until},
      {&node.fed()})});
  LAUREL_CHECK(codes.at(0) == ledger::TxCode::kOk, "the card's issue was refused");
  return types::CardToText(types::SignCard(b, node.fed()));
}

// The fake node's genesis validators as a verifier trusts them.
inline verifier::ValidatorSet GenesisSet(const FakeNode& node) {
  verifier::ValidatorSet s;
  s.chain_id = node.chain_id();
  for (const auto& v : node.genesis().validators) {
    s.keys.push_back(v.public_key);
    s.names.push_back(v.name);
    s.addresses.push_back(v.address);
  }
  return s;
}

struct HttpResult {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

// A blocking client connection with a receive timeout.
class Conn {
 public:
  explicit Conn(uint16_t port, std::chrono::milliseconds timeout = 5000ms) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    timeval tv{};
    tv.tv_sec = timeout.count() / 1000;
    tv.tv_usec = (timeout.count() % 1000) * 1000;
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  }
  ~Conn() {
    if (fd_ >= 0) ::close(fd_);
  }
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  bool connected() const { return connected_; }
  int fd() const { return fd_; }

  bool Send(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // Reads one response (Content-Length framed); nullopt on close, error or timeout.
  std::optional<HttpResult> Read() {
    size_t header_end;
    while ((header_end = buf_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill()) return std::nullopt;
    }
    HttpResult r;
    std::string head = buf_.substr(0, header_end);
    buf_.erase(0, header_end + 4);
    size_t line_end = head.find("\r\n");
    std::string status_line = head.substr(0, line_end);
    if (status_line.size() < 12) return std::nullopt;
    r.status = std::stoi(status_line.substr(9, 3));
    size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
    while (pos < head.size()) {
      size_t e = head.find("\r\n", pos);
      if (e == std::string::npos) e = head.size();
      std::string line = head.substr(pos, e - pos);
      size_t colon = line.find(':');
      if (colon != std::string::npos) {
        std::string name = line.substr(0, colon);
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        size_t v = colon + 1;
        while (v < line.size() && line[v] == ' ') ++v;
        r.headers[name] = line.substr(v);
      }
      pos = e + 2;
    }
    size_t length = 0;
    if (auto it = r.headers.find("content-length"); it != r.headers.end()) {
      length = std::stoul(it->second);
    }
    while (buf_.size() < length) {
      if (!Fill()) return std::nullopt;
    }
    r.body = buf_.substr(0, length);
    buf_.erase(0, length);
    return r;
  }

  // Whether the server closes the connection (reads and discards until EOF) within `within`.
  bool ClosedByPeer(std::chrono::milliseconds within) {
    const auto deadline = std::chrono::steady_clock::now() + within;
    char tmp[4096];
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      const int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                            deadline - std::chrono::steady_clock::now())
                                            .count());
      if (::poll(&p, 1, std::max(left, 1)) <= 0) continue;
      ssize_t n = ::recv(fd_, tmp, sizeof(tmp), 0);
      if (n <= 0) return true;
    }
    return false;
  }

 private:
  bool Fill() {
    char tmp[65536];
    ssize_t n = ::recv(fd_, tmp, sizeof(tmp), 0);
    if (n <= 0) return false;
    buf_.append(tmp, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  std::string buf_;
};

inline std::string BuildRequest(const std::string& method, const std::string& target,
                                const std::string& body = "",
                                const std::map<std::string, std::string>& headers = {}) {
  std::string r = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  for (const auto& [k, v] : headers) r += k + ": " + v + "\r\n";
  if (!body.empty() || method == "POST")
    r += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  r += "\r\n" + body;
  return r;
}

// One request on a fresh connection.
inline HttpResult Http(uint16_t port, const std::string& method, const std::string& target,
                       const std::string& body = "",
                       const std::map<std::string, std::string>& headers = {}) {
  Conn c(port, 15000ms);
  if (!c.connected() || !c.Send(BuildRequest(method, target, body, headers))) return {};
  return c.Read().value_or(HttpResult{});
}

}  // namespace laurel::rpc::test
