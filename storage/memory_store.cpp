// The memory store: the shared store logic over std::map column families.
#include <array>
#include <map>

#include "storage/kv.h"

namespace laurel::storage {
namespace {

class MemoryKv final : public Kv {
 public:
  Result<std::optional<std::string>> Get(keys::Cf cf, std::string_view key) const override {
    const auto& m = cfs_[static_cast<size_t>(cf)];
    auto it = m.find(key);
    if (it == m.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }

  Status Scan(keys::Cf cf, std::string_view start,
              const std::function<bool(std::string_view, std::string_view)>& visit) const override {
    const auto& m = cfs_[static_cast<size_t>(cf)];
    for (auto it = m.lower_bound(start); it != m.end(); ++it) {
      if (!visit(it->first, it->second)) break;
    }
    return Status::Ok();
  }

  Status Sync() override {
    if (read_only_) return Status::InvalidArgument("sync of a read-only snapshot");
    return Status::Ok();
  }
  Status Write(const std::vector<KvOp>& batch, bool /*sync*/) override {
    if (read_only_) return Status::InvalidArgument("write to a read-only snapshot");
    for (const auto& op : batch) {
      auto& cf = cfs_[static_cast<size_t>(op.cf)];
      if (op.erase) {
        cf.erase(op.key);
      } else {
        cf[op.key] = std::string(op.Value());
      }
    }
    return Status::Ok();
  }

  // A copy: the memory store serves tests and simulations, where states are small.
  std::unique_ptr<Kv> Snapshot() const override {
    auto copy = std::make_unique<MemoryKv>();
    copy->cfs_ = cfs_;
    copy->read_only_ = true;
    return copy;
  }

 private:
  bool read_only_ = false;
  std::array<std::map<std::string, std::string, std::less<>>, keys::kNumCfs> cfs_;
};

}  // namespace

std::unique_ptr<Store> NewMemoryStore() {
  auto r = NewKvStore(std::make_unique<MemoryKv>());
  LAUREL_CHECK(r.ok(), "an empty memory store failed to load");
  return std::move(r).value();
}

}  // namespace laurel::storage
