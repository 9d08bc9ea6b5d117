// Routes for auditors: the genesis document and committed blocks in ranges with their proofs.
#include "rpc/routes.h"

namespace laurel::rpc {

void AddChainRoutes(Router& r, node::NodeApi& node) {
  (void)r;
  (void)node;
}

}  // namespace laurel::rpc
