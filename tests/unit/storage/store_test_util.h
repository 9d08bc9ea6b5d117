// Helpers shared by the storage tests.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>

#include "storage/store.h"

namespace laurel::storage::test {

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    char tmpl[] = "/tmp/laurel-storage-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string db() const { return (path / "db").string(); }
};

// A store of either kind; the RocksDB one lives in its own temporary directory.
struct AnyStore {
  std::string kind;
  std::unique_ptr<TempDir> dir;
  std::unique_ptr<Store> store;

  explicit AnyStore(std::string k) : kind(std::move(k)) {
    if (kind == "memory") {
      store = NewMemoryStore();
    } else {
      dir = std::make_unique<TempDir>();
      auto r = OpenRocksStore(dir->db());
      LAUREL_CHECK(r.ok(), "cannot open a RocksDB store in a fresh temporary directory");
      store = std::move(r).value();
    }
  }
  Store* operator->() { return store.get(); }
  Store& operator*() { return *store; }
};

}  // namespace laurel::storage::test
