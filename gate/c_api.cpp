// The C interface of gate/include/laurel_gate.h over gate::CheckBundle and gate::OfflineGate.
#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>

#include "gate/include/laurel_gate.h"
#include "gate/offline.h"
#include "ledger/genesis_io.h"

struct laurel_gate {
  std::unique_ptr<laurel::gate::OfflineGate> gate;
};

namespace {

void Copy(char* dst, size_t size, const std::string& s) {
  if (dst == nullptr || size == 0) return;
  const size_t n = std::min(size - 1, s.size());
  std::memcpy(dst, s.data(), n);
  dst[n] = '\0';
}

}  // namespace

extern "C" laurel_gate* laurel_gate_open(const char* dir, const char* genesis_path, char* err,
                                         size_t err_size) {
  namespace fs = std::filesystem;
  try {
    if (dir == nullptr) {
      Copy(err, err_size, "no bundle directory");
      return nullptr;
    }
    const fs::path d(dir);
    const std::string gpath = genesis_path ? genesis_path : (d / "genesis.json").string();
    auto g = laurel::ledger::LoadGenesis(gpath);
    if (!g.ok()) {
      Copy(err, err_size, gpath + ": " + g.status().message());
      return nullptr;
    }
    laurel::verifier::ValidatorSet set;
    set.chain_id = g->chain_id;
    for (const auto& v : g->validators) {
      set.keys.push_back(v.public_key);
      set.names.push_back(v.name);
      set.addresses.push_back(v.address);
    }
    std::ifstream in(d / "bundle.pb.gz", std::ios::binary);
    if (!in) {
      Copy(err, err_size, (d / "bundle.pb.gz").string() + ": cannot read");
      return nullptr;
    }
    const std::string gz((std::istreambuf_iterator<char>(in)), {});
    auto b = laurel::gate::DecodeBundle(gz);
    if (!b.ok()) {
      Copy(err, err_size, "the bundle does not check: " + b.status().message());
      return nullptr;
    }
    auto c = laurel::gate::CheckBundle(*b, set);
    if (!c.ok()) {
      Copy(err, err_size, "the bundle does not check: " + c.status().message());
      return nullptr;
    }
    auto* h = new laurel_gate;
    h->gate = std::make_unique<laurel::gate::OfflineGate>(*c);
    return h;
  } catch (const std::exception& e) {
    Copy(err, err_size, std::string("cannot open the bundle: ") + e.what());
    return nullptr;
  }
}

extern "C" int laurel_gate_verify_presented(const laurel_gate* gate, const char* card_text,
                                            const char* presentation_text,
                                            const laurel_gate_holder_policy* policy,
                                            uint64_t now_unix_s, uint64_t max_offline_s,
                                            laurel_gate_fail_mode mode, laurel_gate_result* out) {
  if (gate == nullptr || card_text == nullptr || out == nullptr) return -1;
  laurel::ledger::HolderPolicy hp;
  if (policy != nullptr) {
    if (policy->gate_id != nullptr) hp.gate_id = policy->gate_id;
    if (policy->nonce != nullptr) {
      if (policy->nonce_len < 8 || policy->nonce_len > 32) return -1;
      hp.nonce = laurel::Bytes(policy->nonce, policy->nonce + policy->nonce_len);
    }
    hp.slot_skew = policy->slot_skew;
    if ((policy->require_binding & LAUREL_GATE_BIND_MEMBER) != 0) {
      hp.require_binding.push_back(laurel::types::CredentialType::kMember);
    }
    if ((policy->require_binding & LAUREL_GATE_BIND_MODEL_WORKER) != 0) {
      hp.require_binding.push_back(laurel::types::CredentialType::kModelWorker);
    }
  }
  std::optional<std::string> presentation;
  if (presentation_text != nullptr && presentation_text[0] != '\0') {
    presentation = presentation_text;
  }
  std::memset(out, 0, sizeof *out);
  const uint64_t now_ms =
      now_unix_s != 0 ? now_unix_s * 1000
                      : static_cast<uint64_t>(
                            std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count());
  const auto& g = *gate->gate;
  out->bundle_height = g.height();
  out->bundle_time_ms = g.time_ms();
  out->stale = laurel::gate::BundleStale(g.time_ms(), now_ms, max_offline_s) ? 1 : 0;
  try {
    const laurel::ledger::VerifyResult r = g.Verify(card_text, now_ms / 1000, presentation, hp);
    out->valid = r.valid() ? 1 : 0;
    Copy(out->reason, sizeof out->reason, laurel::ledger::VerifyReasonName(r.reason));
    Copy(out->message, sizeof out->message, r.message);
    Copy(out->holder, sizeof out->holder, laurel::ledger::HolderBindingName(r.holder));
    if (r.card) {
      Copy(out->credential_id, sizeof out->credential_id, r.card->credential_id);
      Copy(out->holder_name, sizeof out->holder_name, r.card->holder_name);
    }
  } catch (const std::exception& e) {
    out->valid = 0;
    Copy(out->reason, sizeof out->reason, "MALFORMED");
    Copy(out->message, sizeof out->message, e.what());
  }
  if (out->stale && mode == LAUREL_GATE_FAIL_CLOSED) {
    out->valid = 0;
    Copy(out->reason, sizeof out->reason, std::string(laurel::gate::kBundleStale));
    Copy(out->message, sizeof out->message,
         "the bundle is older than the allowed window; this gate fails closed");
  }
  return 0;
}

extern "C" int laurel_gate_verify(const laurel_gate* gate, const char* card_text,
                                  uint64_t now_unix_s, uint64_t max_offline_s,
                                  laurel_gate_fail_mode mode, laurel_gate_result* out) {
  return laurel_gate_verify_presented(gate, card_text, nullptr, nullptr, now_unix_s, max_offline_s,
                                      mode, out);
}

extern "C" size_t laurel_gate_credentials(const laurel_gate* gate) {
  return gate ? gate->gate->credentials() : 0;
}

extern "C" size_t laurel_gate_issuers(const laurel_gate* gate) {
  return gate ? gate->gate->issuers() : 0;
}

extern "C" void laurel_gate_close(laurel_gate* gate) { delete gate; }
