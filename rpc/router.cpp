#include "rpc/router.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <exception>
#include <memory>

#include "common/check.h"
#include "rpc/json_util.h"

namespace laurel::rpc {
namespace {

std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> out;
  size_t i = 1;  // path starts with '/'
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    out.push_back(path.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

bool IsParam(std::string_view segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<std::string> HttpRequest::Query(const std::string& key) const {
  auto it = query.find(key);
  if (it == query.end()) return std::nullopt;
  return it->second;
}

const std::string& HttpRequest::Param(const std::string& name) const {
  static const std::string kEmpty;
  auto it = params.find(name);
  return it == params.end() ? kEmpty : it->second;
}

bool HttpRequest::Accepts(std::string_view media_type) const {
  std::string lower = accept;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower.find(media_type) != std::string::npos;
}

HttpResponse ErrorResponse(int status, std::string_view code, std::string_view message) {
  nlohmann::json j;
  j["code"] = code;
  j["message"] = message;
  return JsonResponse(status, j);
}

HttpResponse TextResponse(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.content_type = "text/plain";
  r.body = std::move(body);
  return r;
}

std::string MediaType(std::string_view header_value) {
  std::string_view v = header_value.substr(0, header_value.find(';'));
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  std::string out(v);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::optional<std::string> PercentDecode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      const int hi = HexValue(s[i + 1]);
      const int lo = HexValue(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

void Router::Add(std::string method, std::string_view pattern, Handler handler) {
  LAUREL_CHECK(!pattern.empty() && pattern.front() == '/', "route pattern must start with '/'");
  for (const Route& r : routes_) {
    LAUREL_CHECK(!(r.method == method && r.pattern == pattern), "duplicate route");
  }
  Route route;
  route.method = std::move(method);
  route.pattern = std::string(pattern);
  for (std::string_view s : SplitPath(pattern)) route.segments.emplace_back(s);
  route.handler = std::move(handler);
  routes_.push_back(std::move(route));
}

std::vector<std::pair<std::string, std::string>> Router::Routes() const {
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(routes_.size());
  for (const Route& r : routes_) out.emplace_back(r.method, r.pattern);
  return out;
}

void Router::Dispatch(HttpRequest req, const Responder& respond) const {
  if (!observer_) {
    DispatchMatched(std::move(req), respond, nullptr);
    return;
  }
  struct Slot {
    std::atomic<bool> answered{false};
    std::string method;
    std::string pattern;  // written before the handler runs, read when it answers
    std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  };
  auto slot = std::make_shared<Slot>();
  slot->method = req.method;
  // The observer is copied: an answer may arrive from a node thread after the router is gone.
  DispatchMatched(
      std::move(req),
      [slot, observer = observer_, respond](HttpResponse r) {
        if (!slot->answered.exchange(true)) {
          const double seconds =
              std::chrono::duration<double>(std::chrono::steady_clock::now() - slot->start)
                  .count();
          observer(slot->method, slot->pattern, r.status, seconds);
        }
        respond(std::move(r));
      },
      &slot->pattern);
}

void Router::DispatchMatched(HttpRequest req, const Responder& respond,
                             std::string* matched_pattern) const {
  const std::string_view target = req.target;
  if (target.empty() || target.front() != '/') {
    respond(ErrorResponse(400, "BAD_REQUEST", "request target must be an absolute path"));
    return;
  }
  const size_t qpos = target.find('?');
  req.path = std::string(target.substr(0, qpos));
  if (qpos != std::string_view::npos) {
    std::string_view q = target.substr(qpos + 1);
    while (!q.empty()) {
      size_t amp = q.find('&');
      std::string_view item = q.substr(0, amp);
      q = amp == std::string_view::npos ? std::string_view{} : q.substr(amp + 1);
      if (item.empty()) continue;
      const size_t eq = item.find('=');
      auto key = PercentDecode(item.substr(0, eq), true);
      auto value = PercentDecode(eq == std::string_view::npos ? "" : item.substr(eq + 1), true);
      if (!key || !value) {
        respond(ErrorResponse(400, "BAD_REQUEST", "malformed query string"));
        return;
      }
      req.query[*key] = *value;
    }
  }

  const std::vector<std::string_view> segments = SplitPath(req.path);
  const Route* best = nullptr;
  int best_literals = -1;
  std::string allowed;
  for (const Route& r : routes_) {
    if (r.segments.size() != segments.size()) continue;
    int literals = 0;
    bool match = true;
    for (size_t i = 0; i < segments.size() && match; ++i) {
      if (IsParam(r.segments[i])) {
        match = !segments[i].empty();
      } else {
        match = r.segments[i] == segments[i];
        ++literals;
      }
    }
    if (!match) continue;
    if (r.method != req.method) {
      if (allowed.find(r.method) == std::string::npos) {
        allowed += allowed.empty() ? r.method : ", " + r.method;
      }
      continue;
    }
    if (literals > best_literals) {
      best = &r;
      best_literals = literals;
    }
  }
  if (best == nullptr) {
    if (!allowed.empty()) {
      HttpResponse resp =
          ErrorResponse(405, "METHOD_NOT_ALLOWED", req.method + " is not allowed on " + req.path);
      resp.headers.emplace_back("Allow", allowed);
      respond(std::move(resp));
    } else {
      respond(ErrorResponse(404, "NOT_FOUND", "no route for " + req.path));
    }
    return;
  }
  for (size_t i = 0; i < segments.size(); ++i) {
    const std::string& s = best->segments[i];
    if (!IsParam(s)) continue;
    auto decoded = PercentDecode(segments[i], false);
    if (!decoded) {
      respond(ErrorResponse(400, "BAD_REQUEST", "malformed percent-encoding in the path"));
      return;
    }
    req.params[s.substr(1, s.size() - 2)] = std::move(*decoded);
  }
  if (matched_pattern != nullptr) *matched_pattern = best->pattern;
  try {
    best->handler(req, respond);
  } catch (const std::exception& e) {
    // Ignored by the responder if the handler already answered.
    respond(ErrorResponse(500, "INTERNAL", std::string("internal error: ") + e.what()));
  } catch (...) {
    respond(ErrorResponse(500, "INTERNAL", "internal error"));
  }
}

}  // namespace laurel::rpc
