// JSON responses for the RPC handlers (internal to rpc/; nlohmann_json stays out of the
// public headers).
#pragma once

#include <nlohmann/json.hpp>

#include "rpc/router.h"

namespace laurel::rpc {

// Serializes `j`; strings that are not valid UTF-8 (e.g. a node name read from a config) are
// repaired with U+FFFD instead of throwing.
inline std::string DumpJson(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

inline HttpResponse JsonResponse(int status, const nlohmann::json& j) {
  HttpResponse r;
  r.status = status;
  r.content_type = "application/json";
  r.body = DumpJson(j);
  return r;
}

}  // namespace laurel::rpc
