#include "crypto/smt.h"

#include "crypto/sha256.h"

namespace laurel::crypto::smt {

Hash32 KeyHash(std::string_view state_key) { return Sha256Of(state_key); }

namespace {
// One reused context per thread: a block's update hashes thousands of nodes, and a fresh
// context per hash (an allocation and an initialisation each) cost more than the hashing.
Sha256& Hasher() {
  thread_local Sha256 h;
  return h;
}
}  // namespace

Hash32 LeafHash(const Hash32& key_hash, const Hash32& value_hash) {
  return Hasher().Update(kLeafDomain).Update(key_hash).Update(value_hash).Finish();
}

Hash32 NodeHash(const Hash32& left, const Hash32& right) {
  return Hasher().Update(kNodeDomain).Update(left).Update(right).Finish();
}

Hash32 RootFromPath(const Hash32& key_hash, const Hash32& bottom,
                    const std::vector<Hash32>& siblings) {
  Hash32 cur = bottom;
  for (size_t i = siblings.size(); i-- > 0;) {
    cur = Bit(key_hash, i) ? NodeHash(siblings[i], cur) : NodeHash(cur, siblings[i]);
  }
  return cur;
}

namespace {
bool Fail(std::string* why, std::string msg) {
  if (why) *why = std::move(msg);
  return false;
}
bool SamePrefix(const Hash32& a, const Hash32& b, size_t bits) {
  for (size_t i = 0; i < bits; ++i) {
    if (Bit(a, i) != Bit(b, i)) return false;
  }
  return true;
}
}  // namespace

bool VerifyProof(const Hash32& root, const Hash32& key_hash,
                 const std::optional<Hash32>& value_hash, const Proof& proof, std::string* why) {
  const size_t depth = proof.siblings.size();
  if (depth > kKeyBits) return Fail(why, "the proof's path is longer than 256 levels");
  Hash32 bottom{};
  if (value_hash) {
    if (!proof.leaf) return Fail(why, "membership claimed but the proof ends at an empty subtree");
    if (proof.leaf->key_hash != key_hash) {
      return Fail(why, "membership claimed but the proof ends at another key's leaf");
    }
    if (proof.leaf->value_hash != *value_hash) {
      return Fail(why, "the record does not match the value hash in the proof's leaf");
    }
    bottom = LeafHash(key_hash, *value_hash);
  } else if (proof.leaf) {
    if (proof.leaf->key_hash == key_hash) {
      return Fail(why, "absence claimed but the proof ends at the key's own leaf");
    }
    if (!SamePrefix(proof.leaf->key_hash, key_hash, depth)) {
      return Fail(why, "absence claimed but the proof's leaf is not on the key's path");
    }
    bottom = LeafHash(proof.leaf->key_hash, proof.leaf->value_hash);
  }
  if (RootFromPath(key_hash, bottom, proof.siblings) != root) {
    return Fail(why, "the proof does not lead to the state root");
  }
  return true;
}

}  // namespace laurel::crypto::smt
