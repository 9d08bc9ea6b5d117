// The HTTP API's request path (rpc/routes.h): every route's handler, from the request target
// (path, path parameters, percent-encoding, query) to the JSON or protobuf body it parses, over
// a node holding a small chain (fixture.h). The input is a request in HTTP's own layout:
//
//   METHOD SP TARGET LF
//   Header: value LF ...        (Content-Type, Accept, Content-Length are read)
//   LF
//   body
//
// Every request is answered exactly once, with a status the API documents, never 500.
#include <functional>
#include <optional>

#include "fuzz/fixture.h"
#include "fuzz/fuzz_util.h"
#include "rpc/router.h"
#include "rpc/routes.h"

namespace {
using namespace laurel;

std::string_view NextLine(std::string_view& in) {
  const size_t nl = in.find('\n');
  std::string_view line = in.substr(0, nl);
  in.remove_prefix(nl == std::string_view::npos ? in.size() : nl + 1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static fuzz::FuzzNode node;
  static const rpc::Router router = rpc::BuildRouter(node);

  std::string_view in(reinterpret_cast<const char*>(data), size);
  rpc::HttpRequest req;
  const std::string_view start = NextLine(in);
  const size_t sp = start.find(' ');
  if (sp == std::string_view::npos) return 0;
  req.method = std::string(start.substr(0, sp));
  req.target = std::string(start.substr(sp + 1));
  while (!in.empty()) {
    const std::string_view line = NextLine(in);
    if (line.empty()) break;
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view name = line.substr(0, colon);
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    if (IEquals(name, "content-type")) req.content_type = rpc::MediaType(value);
    if (IEquals(name, "accept")) req.accept = std::string(value);
    if (IEquals(name, "content-length")) req.has_body_framing = true;
  }
  req.body = std::string(in);
  req.remote_address = "127.0.0.1";

  int answers = 0;
  int status = 0;
  router.Dispatch(std::move(req), [&](rpc::HttpResponse r) {
    ++answers;
    status = r.status;
  });
  FUZZ_CHECK(answers == 1);
  if (status == 500) {
    std::fprintf(stderr, "answered 500\n");
    std::abort();
  }
  return 0;
}
