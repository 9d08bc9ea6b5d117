#include "node/payload_book.h"

#include <algorithm>
#include <catch2/catch.hpp>

#include "node/payload.h"

using namespace laurel;
using namespace laurel::node;
namespace cs = laurel::consensus;

namespace {

constexpr uint64_t kNever = UINT64_MAX;

types::Tx Tx(uint8_t n) {
  types::Tx tx{Bytes(10, n), {}};
  tx.signatures.push_back({Bytes(32, n), Bytes(64, 0)});
  return tx;
}

cs::BlockId BlockId(uint32_t n) {
  cs::BlockId id{};
  for (int i = 0; i < 4; ++i) id[i] = static_cast<uint8_t>(n >> (8 * i));
  id[31] = 0xB0;
  return id;
}

cs::Block Block(uint32_t n, uint64_t height, cs::Round round, const std::vector<uint8_t>& txs) {
  cs::Block b;
  b.id = BlockId(n);
  b.height = height;
  b.round = round;
  std::vector<types::Tx> v;
  for (uint8_t t : txs) v.push_back(Tx(t));
  b.payload = EncodePayload(v);
  return b;
}

// The tx numbers a payload carries.
std::vector<uint8_t> Carried(const std::optional<Bytes>& payload) {
  REQUIRE(payload);
  auto txs = DecodePayload(*payload);
  REQUIRE(txs);
  std::vector<uint8_t> out;
  for (const auto& tx : *txs) out.push_back(tx.body.at(0));
  std::sort(out.begin(), out.end());
  return out;
}

struct Book {
  Mempool mempool{{1000, 1 << 20}};
  PayloadBook book{mempool, {100, 1 << 20}};

  void Admit(uint8_t n) {
    const types::Tx tx = Tx(n);
    REQUIRE(mempool.Add(types::TxId(tx), tx, types::EncodeTx(tx).size(), kNever) ==
            Mempool::AddResult::kAdded);
    book.OnAdmitted(types::TxId(tx));
  }
};

}  // namespace

TEST_CASE("Pull never returns a transaction already in the uncommitted branch", "[payload]") {
  Book b;
  for (uint8_t n = 1; n <= 4; ++n) b.Admit(n);
  // A peer's proposal carrying 1 and 2 (noted, not in flight: the engine did not verify it).
  const cs::Block peer = Block(1, 1, 1, {1, 2});
  CHECK(b.book.NoteProposal(peer, 0).size() == 2);
  CHECK(b.book.IsNoted(peer.id));
  CHECK_FALSE(b.mempool.AnyInFlight());
  CHECK(Carried(b.book.Pull(2, {peer.id})) == std::vector<uint8_t>{3, 4});
  // Our own proposal of that Pull is noted for its block as it is sent.
  const cs::Block own = Block(2, 2, 2, {3, 4});
  b.book.NoteOwnProposal(own);
  CHECK(b.book.IsNoted(own.id));
  // Once the in-flight marks of round 2 expired, the branch alone keeps them out (an empty
  // block: the branch's transactions still need blocks to commit) ...
  const cs::Round later = 2 + Mempool::kInFlightRounds;
  CHECK(Carried(b.book.Pull(later, {own.id, peer.id})).empty());
  // ... and a branch without those blocks (another fork) may carry them.
  CHECK(Carried(b.book.Pull(later + 1, {})) == std::vector<uint8_t>{1, 2, 3, 4});
}

TEST_CASE("a proposal far ahead of the committed height is not noted", "[payload][byzantine]") {
  Book b;
  b.Admit(1);
  b.Admit(2);
  const cs::Block far = Block(1, 10 + kMaxNotedHeightsAhead + 1, 1, {1});
  CHECK(b.book.NoteProposal(far, 10).empty());
  CHECK_FALSE(b.book.IsNoted(far.id));
  const cs::Block near = Block(2, 10 + kMaxNotedHeightsAhead, 1, {2});
  CHECK(b.book.NoteProposal(near, 10).size() == 1);
  CHECK(b.book.IsNoted(near.id));
  // Nor is an empty or non-canonical payload.
  cs::Block garbage = Block(3, 11, 1, {});
  CHECK(b.book.NoteProposal(garbage, 10).empty());
  garbage.payload = Bytes{0, 0, 0, 1, 0xFF};
  CHECK(b.book.NoteProposal(garbage, 10).empty());
  CHECK(b.book.noted_blocks() == 1);
}

TEST_CASE("noted blocks beyond kMaxNotedBlocks that the engine does not hold are dropped",
          "[payload][byzantine]") {
  Book b;
  const auto held = [](const cs::BlockId& id) { return id[0] < 10 && id[1] == 0; };
  for (uint32_t n = 0; n < kMaxNotedBlocks; ++n) {
    REQUIRE_FALSE(b.book.NoteProposal(Block(n, 1, 1, {1}), 0).empty());
  }
  b.book.PruneNoted(held);  // at the cap: nothing goes
  CHECK(b.book.noted_blocks() == kMaxNotedBlocks);
  REQUIRE_FALSE(b.book.NoteProposal(Block(kMaxNotedBlocks, 1, 1, {1}), 0).empty());
  b.book.PruneNoted(held);
  CHECK(b.book.noted_blocks() == 10);
  CHECK(b.book.IsNoted(BlockId(9)));
  CHECK_FALSE(b.book.IsNoted(BlockId(10)));
  CHECK_FALSE(b.book.IsNoted(BlockId(kMaxNotedBlocks)));
}

TEST_CASE("only verified proposals of reached rounds mark transactions in flight",
          "[payload][byzantine]") {
  Book b;
  b.Admit(1);
  const cs::Block future = Block(1, 1, 8, {1});
  auto ids = b.book.NoteProposal(future, 0);
  b.book.OnProposalHandled(future, ids, /*verified=*/true, /*current_round=*/7);
  CHECK_FALSE(b.mempool.AnyInFlight());
  const cs::Block forged = Block(2, 1, 5, {1});
  ids = b.book.NoteProposal(forged, 0);
  b.book.OnProposalHandled(forged, ids, /*verified=*/false, 7);
  CHECK_FALSE(b.mempool.AnyInFlight());
  CHECK(b.book.proposed_ids() == 0);
  CHECK(Carried(b.book.Pull(7, {})) == std::vector<uint8_t>{1});
  // A verified one of the current round does.
  Book c;
  c.Admit(1);
  const cs::Block good = Block(3, 1, 7, {1});
  ids = c.book.NoteProposal(good, 0);
  c.book.OnProposalHandled(good, ids, /*verified=*/true, 7);
  CHECK(c.mempool.AnyInFlight());
  CHECK(c.book.proposed_ids() == 1);
  auto payload = c.book.Pull(8, {});  // nothing to propose: in flight
  REQUIRE(payload);
  CHECK(payload->empty());
}

TEST_CASE("a transaction admitted after a verified proposal carried it is in flight at once",
          "[payload]") {
  Book b;
  const cs::Block p = Block(1, 1, 3, {1});
  b.book.OnProposalHandled(p, b.book.NoteProposal(p, 0), true, 3);
  b.Admit(2);  // never proposed
  CHECK_FALSE(b.mempool.AnyInFlight());
  b.Admit(1);  // came by gossip after the proposal
  CHECK(b.mempool.AnyInFlight());
  CHECK(Carried(b.book.Pull(4, {})) == std::vector<uint8_t>{2});
}

TEST_CASE("Pull proposes at once within two rounds of a non-empty proposal, then waits",
          "[payload]") {
  Book b;
  b.Admit(1);
  CHECK(Carried(b.book.Pull(5, {})) == std::vector<uint8_t>{1});
  for (cs::Round r = 6; r <= 7; ++r) {
    auto payload = b.book.Pull(r, {});
    REQUIRE(payload);
    CHECK(payload->empty());
  }
  b.mempool.Remove({types::TxId(Tx(1))});  // committed (else its in-flight mark expires now)
  CHECK_FALSE(b.book.Pull(8, {}));
  CHECK(b.book.waiting_round() == 8);
  CHECK_FALSE(b.book.TakeReadyRound());  // the mempool is empty
  b.Admit(2);
  CHECK(b.book.TakeReadyRound() == std::optional<cs::Round>(8));
  CHECK_FALSE(b.book.TakeReadyRound());  // once
  CHECK(b.book.waiting_round() == 0);
}

TEST_CASE("Pull proposes an empty block while a branch block carries transactions however late the round",
          "[payload]") {
  // After round timeouts the round is far past this node's last non-empty proposal, and no new
  // transaction may come (every batch quota full of batches only this branch's commit frees):
  // waiting would stall the chain until a timeout, proposing commits the branch.
  Book b;
  b.Admit(1);
  const cs::Block loaded = Block(1, 1, 1, {1});
  CHECK(b.book.NoteProposal(loaded, 0).size() == 1);
  const cs::Block empty = Block(2, 2, 2, {});
  const cs::Round late = 40;
  const auto payload = b.book.Pull(late, {empty.id, loaded.id});
  REQUIRE(payload);
  CHECK(payload->empty());
  PayloadBook::ChainView view;
  view.block = [&](const cs::BlockId& id) -> std::optional<cs::Block> {
    if (id == loaded.id) return loaded;
    if (id == empty.id) return empty;
    return std::nullopt;
  };
  const auto viewed = b.book.Pull(late + 1, {empty.id, loaded.id}, view);
  REQUIRE(viewed);
  CHECK(viewed->empty());
  // A branch of empty blocks only (the loaded block committed): nothing waits to commit, so the
  // leader waits.
  b.mempool.Remove({types::TxId(Tx(1))});
  CHECK_FALSE(b.book.Pull(late + 2, {empty.id}, view));
  CHECK(b.book.waiting_round() == late + 2);
}

TEST_CASE("a commit drops the notes at or below its height and the marks of removed txs",
          "[payload]") {
  Book b;
  const cs::Block b1 = Block(1, 1, 1, {1});
  const cs::Block b2 = Block(2, 2, 2, {2});
  b.book.OnProposalHandled(b1, b.book.NoteProposal(b1, 0), true, 2);
  b.book.OnProposalHandled(b2, b.book.NoteProposal(b2, 0), true, 2);
  CHECK(b.book.noted_blocks() == 2);
  CHECK(b.book.proposed_ids() == 2);
  b.book.OnCommitted(1, {types::TxId(Tx(1))});
  CHECK_FALSE(b.book.IsNoted(b1.id));
  CHECK(b.book.IsNoted(b2.id));
  CHECK(b.book.proposed_ids() == 1);
  // A copy of the committed tx admitted again is not marked in flight.
  b.Admit(1);
  CHECK_FALSE(b.mempool.AnyInFlight());
}

TEST_CASE("Pull reads the payload of a branch block it never noted (fetched or recovered)",
          "[payload]") {
  Book b;
  for (uint8_t n = 1; n <= 4; ++n) b.Admit(n);
  const cs::Block fetched = Block(1, 1, 1, {1, 3});  // never seen as a proposal
  PayloadBook::ChainView view;
  view.block = [&](const cs::BlockId& id) -> std::optional<cs::Block> {
    if (id == fetched.id) return fetched;
    return std::nullopt;
  };
  CHECK(Carried(b.book.Pull(2, {fetched.id}, view)) == std::vector<uint8_t>{2, 4});
  CHECK(b.book.IsNoted(fetched.id));  // read once, then remembered until its height commits
  // Without the view the old rule cannot see it: this is what the view is for.
  Book c;
  for (uint8_t n = 1; n <= 4; ++n) c.Admit(n);
  CHECK(Carried(c.book.Pull(2, {fetched.id})) == std::vector<uint8_t>{1, 2, 3, 4});
}

TEST_CASE("Pull never returns a transaction the engine committed but the node has not executed",
          "[payload]") {
  // The engine committed heights 5 and 6 within the input that now asks for a payload; the node
  // has executed up to 4, so 5's and 6's transactions are still in the mempool.
  Book b;
  for (uint8_t n = 1; n <= 6; ++n) b.Admit(n);
  const cs::Block h5 = Block(5, 5, 5, {1, 2});
  cs::Block h6 = Block(6, 6, 6, {3});
  h6.parent_id = h5.id;
  CHECK(b.book.NoteProposal(h5, 4).size() == 2);
  PayloadBook::ChainView view;
  view.root_id = h6.id;
  view.root_height = 6;
  view.executed_height = 4;
  view.block = [&](const cs::BlockId& id) -> std::optional<cs::Block> {
    if (id == h6.id) return h6;  // the root is still in the engine's tree
    return std::nullopt;
  };
  CHECK(Carried(b.book.Pull(7, {}, view)) == std::vector<uint8_t>{4, 5, 6});
}

TEST_CASE("a node catching up proposes an empty block rather than risk a duplicate",
          "[payload]") {
  // The engine's root is at 9 (learned by fetching, after a pause), the node executed 4, and
  // heights 5..8 were never noted: their transactions are unknown.
  Book b;
  for (uint8_t n = 1; n <= 3; ++n) b.Admit(n);
  const cs::Block root = Block(9, 9, 12, {1});
  PayloadBook::ChainView view;
  view.root_id = root.id;
  view.root_height = 9;
  view.executed_height = 4;
  view.block = [&](const cs::BlockId& id) -> std::optional<cs::Block> {
    if (id == root.id) return root;
    return std::nullopt;
  };
  const auto payload = b.book.Pull(13, {}, view);
  REQUIRE(payload);
  CHECK(payload->empty());
  // Once the node has executed up to the root, it proposes again.
  view.executed_height = 9;
  CHECK(Carried(b.book.Pull(14, {}, view)) == std::vector<uint8_t>{1, 2, 3});
}

TEST_CASE(
    "a block noted at a committed height on another branch does not stand for the one "
    "that committed there",
    "[payload]") {
  // Heights 5 and 6 committed (the node executed 4). This node never saw the proposal of the
  // committed 5 (it was fetched); it noted another block of height 5 instead: a fork, or a
  // Byzantine validator's far-future proposal listing pending transactions. The committed 5's
  // transactions are unknown, so the proposal is empty rather than carry them again.
  Book b;
  for (uint8_t n = 1; n <= 6; ++n) b.Admit(n);
  const cs::Block committed5 = Block(5, 5, 5, {1, 2});
  cs::Block forged5 = Block(50, 5, cs::Round{1} << 40, {4});
  cs::Block h6 = Block(6, 6, 6, {3});
  h6.parent_id = committed5.id;
  CHECK(b.book.NoteProposal(forged5, 4).size() == 1);
  PayloadBook::ChainView view;
  view.root_id = h6.id;
  view.root_height = 6;
  view.executed_height = 4;
  view.block = [&](const cs::BlockId& id) -> std::optional<cs::Block> {
    if (id == h6.id) return h6;
    return std::nullopt;
  };
  const auto payload = b.book.Pull(7, {}, view);
  REQUIRE(payload);
  CHECK(payload->empty());
  // Once the committed 5 is known (noted), its transactions and the root's are skipped.
  CHECK(b.book.NoteProposal(committed5, 4).size() == 2);
  CHECK(Carried(b.book.Pull(8, {}, view)) == std::vector<uint8_t>{4, 5, 6});
}
