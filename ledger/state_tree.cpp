#include "ledger/state_tree.h"

#include <algorithm>
#include <deque>
#include <span>

#include "common/check.h"
#include "crypto/sha256.h"

namespace laurel::ledger {

namespace smt = crypto::smt;

namespace {

enum class Kind : uint8_t { kEmpty = 0, kLeaf = 1, kInterior = 2 };

struct Child {
  Kind kind = Kind::kEmpty;
  Hash32 hash{};
  uint64_t version = 0;
};

struct Node {
  Kind kind = Kind::kEmpty;
  // Leaf:
  Hash32 key_hash{};
  std::string_view value;  // points into the stored bytes
  // Interior:
  Child left, right;
};

void AppendChild(std::string& out, const Child& c) {
  out.push_back(static_cast<char>(c.kind));
  if (c.kind == Kind::kEmpty) return;
  out.append(reinterpret_cast<const char*>(c.hash.data()), c.hash.size());
  AppendU64BE(out, c.version);
}

bool ReadChild(std::string_view& in, Child* c) {
  if (in.empty()) return false;
  const auto kind = static_cast<uint8_t>(in[0]);
  in.remove_prefix(1);
  if (kind == 0) {
    *c = Child{};
    return true;
  }
  if ((kind != 1 && kind != 2) || in.size() < 40) return false;
  c->kind = static_cast<Kind>(kind);
  std::copy(in.begin(), in.begin() + 32, c->hash.begin());
  c->version = ReadU64BE(reinterpret_cast<const uint8_t*>(in.data() + 32));
  in.remove_prefix(40);
  return true;
}

std::string EncodeLeaf(const Hash32& key_hash, std::string_view value) {
  std::string out;
  out.reserve(33 + value.size());
  out.push_back(static_cast<char>(Kind::kLeaf));
  out.append(reinterpret_cast<const char*>(key_hash.data()), key_hash.size());
  out.append(value);
  return out;
}

std::string EncodeInterior(const Child& l, const Child& r) {
  std::string out;
  out.reserve(83);
  out.push_back(static_cast<char>(Kind::kInterior));
  AppendChild(out, l);
  AppendChild(out, r);
  return out;
}

std::optional<Node> DecodeNode(std::string_view bytes) {
  if (bytes.empty()) return std::nullopt;
  Node n;
  const auto kind = static_cast<uint8_t>(bytes[0]);
  bytes.remove_prefix(1);
  switch (kind) {
    case 0:
      if (!bytes.empty()) return std::nullopt;
      return n;
    case 1:
      if (bytes.size() < 32) return std::nullopt;
      n.kind = Kind::kLeaf;
      std::copy(bytes.begin(), bytes.begin() + 32, n.key_hash.begin());
      n.value = bytes.substr(32);
      return n;
    case 2:
      n.kind = Kind::kInterior;
      if (!ReadChild(bytes, &n.left) || !ReadChild(bytes, &n.right) || !bytes.empty()) {
        return std::nullopt;
      }
      if (n.left.kind == Kind::kEmpty && n.right.kind == Kind::kEmpty) return std::nullopt;
      return n;
    default:
      return std::nullopt;
  }
}

Hash32 WithBit(Hash32 path, size_t i) {
  path[i / 8] |= static_cast<uint8_t>(0x80 >> (i % 8));
  return path;
}

Hash32 ChildHash(const Child& c) { return c.kind == Kind::kEmpty ? Hash32{} : c.hash; }

struct Entry {
  Hash32 key_hash;
  std::string_view value;
};

// One block's update: builds the new nodes of `version` from the tree at version - 1.
class Updater {
 public:
  Updater(const TreeReader& reader, uint64_t version, TreeUpdate& out)
      : reader_(reader), version_(version), out_(out) {}

  // The stored bytes of a node that must exist (the store is corrupt otherwise).
  std::string_view Load(const std::string& key) {
    auto v = reader_.GetTreeNode(key);
    LAUREL_CHECK(v.has_value(), "state tree node missing from the store");
    arena_.push_back(std::move(*v));
    return arena_.back();
  }

  // The subtree at (depth, path), currently `node`, with `entries` (sorted by key hash, all
  // under path, distinct keys) written into it.
  Child Update(size_t depth, const Hash32& path, const Child& node, std::span<const Entry> entries) {
    if (entries.empty()) return node;
    if (node.kind == Kind::kEmpty) return Build(depth, path, entries);
    const std::string key = TreeNodeKey(node.version, depth, path);
    auto n = DecodeNode(Load(key));
    LAUREL_CHECK(n.has_value() && n->kind == node.kind, "undecodable state tree node");
    out_.stale_nodes.push_back(key);
    return UpdateLoaded(depth, path, *n, entries);
  }

  Child UpdateLoaded(size_t depth, const Hash32& path, const Node& n,
                     std::span<const Entry> entries) {
    if (n.kind == Kind::kEmpty) return Build(depth, path, entries);
    if (n.kind == Kind::kLeaf) {
      // The old leaf stays unless one of the entries replaces it; rebuild this subtree from
      // the union (the leaf may move down).
      const bool replaced = std::any_of(entries.begin(), entries.end(),
                                        [&](const Entry& e) { return e.key_hash == n.key_hash; });
      if (replaced) return Build(depth, path, entries);
      std::vector<Entry> merged(entries.begin(), entries.end());
      const Entry old{n.key_hash, n.value};
      merged.insert(std::lower_bound(merged.begin(), merged.end(), old,
                                     [](const Entry& a, const Entry& b) {
                                       return a.key_hash < b.key_hash;
                                     }),
                    old);
      return Build(depth, path, merged);
    }
    LAUREL_CHECK(depth < smt::kKeyBits, "state tree deeper than 256 levels");
    const auto split = Split(depth, entries);
    const Child l = Update(depth + 1, path, n.left, entries.first(split));
    const Child r = Update(depth + 1, WithBit(path, depth), n.right, entries.subspan(split));
    return Interior(depth, path, l, r);
  }

  // A new subtree holding exactly `entries` (non-empty).
  Child Build(size_t depth, const Hash32& path, std::span<const Entry> entries) {
    if (entries.size() == 1) {
      const Hash32 h = smt::LeafHash(entries[0].key_hash, crypto::Sha256Of(entries[0].value));
      out_.new_nodes.emplace_back(TreeNodeKey(version_, depth, path),
                                  EncodeLeaf(entries[0].key_hash, entries[0].value));
      return Child{Kind::kLeaf, h, version_};
    }
    LAUREL_CHECK(depth < smt::kKeyBits, "two state keys with one key hash");
    const auto split = Split(depth, entries);
    Child l, r;
    if (split > 0) l = Build(depth + 1, path, entries.first(split));
    if (split < entries.size()) r = Build(depth + 1, WithBit(path, depth), entries.subspan(split));
    return Interior(depth, path, l, r);
  }

 private:
  static size_t Split(size_t depth, std::span<const Entry> entries) {
    // Sorted by key hash and sharing the first `depth` bits: the 0s come first.
    return static_cast<size_t>(
        std::partition_point(entries.begin(), entries.end(),
                             [&](const Entry& e) { return !smt::Bit(e.key_hash, depth); }) -
        entries.begin());
  }

  Child Interior(size_t depth, const Hash32& path, const Child& l, const Child& r) {
    const Hash32 h = smt::NodeHash(ChildHash(l), ChildHash(r));
    out_.new_nodes.emplace_back(TreeNodeKey(version_, depth, path), EncodeInterior(l, r));
    return Child{Kind::kInterior, h, version_};
  }

  const TreeReader& reader_;
  uint64_t version_;
  TreeUpdate& out_;
  std::deque<std::string> arena_;  // bytes of nodes read, which entries may point into
};

Hash32 NodeRootHash(const Node& n) {
  switch (n.kind) {
    case Kind::kEmpty:
      return Hash32{};
    case Kind::kLeaf:
      return smt::LeafHash(n.key_hash, crypto::Sha256Of(n.value));
    case Kind::kInterior:
      return smt::NodeHash(ChildHash(n.left), ChildHash(n.right));
  }
  return Hash32{};
}

}  // namespace

std::string TreeNodeKey(uint64_t version, size_t depth, const Hash32& path_bits) {
  std::string k;
  k.reserve(10 + (depth + 7) / 8);
  AppendU64BE(k, version);
  k.push_back(static_cast<char>(depth >> 8));
  k.push_back(static_cast<char>(depth & 0xff));
  k.append(reinterpret_cast<const char*>(path_bits.data()), (depth + 7) / 8);
  return k;
}

std::optional<uint64_t> TreeNodeVersion(std::string_view node_key) {
  if (node_key.size() < 10) return std::nullopt;
  return ReadU64BE(reinterpret_cast<const uint8_t*>(node_key.data()));
}

TreeUpdate UpdateStateTree(const TreeReader& reader, uint64_t version,
                           const std::map<std::string, std::string>& writes) {
  TreeUpdate out;
  std::vector<Entry> entries;
  entries.reserve(writes.size());
  for (const auto& [k, v] : writes) entries.push_back(Entry{smt::KeyHash(k), v});
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return a.key_hash < b.key_hash; });
  for (size_t i = 1; i < entries.size(); ++i) {
    LAUREL_CHECK(entries[i - 1].key_hash != entries[i].key_hash, "two state keys, one key hash");
  }
  // About log2(records) nodes per written key, fewer where paths share their top: one
  // allocation for the lists in most blocks.
  out.new_nodes.reserve(1 + 12 * entries.size());
  out.stale_nodes.reserve(1 + 8 * entries.size());
  Updater u(reader, version, out);
  Node old_root;  // empty before genesis
  std::string_view old_bytes;
  if (version > 0) {
    const std::string key = TreeRootKey(version - 1);
    old_bytes = u.Load(key);
    auto n = DecodeNode(old_bytes);
    LAUREL_CHECK(n.has_value(), "undecodable state tree root");
    old_root = *n;
    out.stale_nodes.push_back(key);
  }
  if (entries.empty()) {
    // The root is written at every version: copy it (its children keep their versions).
    out.new_nodes.emplace_back(TreeRootKey(version),
                               version > 0 ? std::string(old_bytes) : std::string(1, '\0'));
    out.root = NodeRootHash(old_root);
    return out;
  }
  const Child root = u.UpdateLoaded(0, Hash32{}, old_root, entries);
  out.root = root.hash;
  return out;
}

std::optional<Hash32> StateTreeRoot(const TreeReader& reader, uint64_t version) {
  auto bytes = reader.GetTreeNode(TreeRootKey(version));
  if (!bytes) return std::nullopt;
  auto n = DecodeNode(*bytes);
  LAUREL_CHECK(n.has_value(), "undecodable state tree root");
  return NodeRootHash(*n);
}

Result<StateProof> ProveState(const TreeReader& reader, uint64_t version,
                              std::string_view state_key) {
  StateProof p;
  p.version = version;
  p.key = std::string(state_key);
  const Hash32 kh = smt::KeyHash(state_key);
  auto bytes = reader.GetTreeNode(TreeRootKey(version));
  if (!bytes) {
    return Status::NotFound("the state at height " + std::to_string(version) +
                            " is not kept (pruned or not yet committed)");
  }
  auto n = DecodeNode(*bytes);
  if (!n) return Status::Corruption("undecodable state tree root");
  p.root = NodeRootHash(*n);
  Hash32 path{};
  size_t depth = 0;
  while (n->kind == Kind::kInterior) {
    if (depth >= smt::kKeyBits) return Status::Corruption("state tree deeper than 256 levels");
    const bool bit = smt::Bit(kh, depth);
    const Child next = bit ? n->right : n->left;  // a copy: n is replaced below
    p.proof.siblings.push_back(ChildHash(bit ? n->left : n->right));
    if (bit) path = WithBit(path, depth);
    ++depth;
    if (next.kind == Kind::kEmpty) return p;
    bytes = reader.GetTreeNode(TreeNodeKey(next.version, depth, path));
    if (!bytes) {
      return Status::NotFound("a node of the state at height " + std::to_string(version) +
                              " is no longer kept (pruned)");
    }
    n = DecodeNode(*bytes);
    if (!n || n->kind != next.kind) return Status::Corruption("undecodable state tree node");
  }
  if (n->kind == Kind::kLeaf) {
    p.proof.leaf = smt::ProofLeaf{n->key_hash, crypto::Sha256Of(n->value)};
    if (n->key_hash == kh) p.value = std::string(n->value);
  }
  return p;
}

}  // namespace laurel::ledger
