// A minimal blocking HTTP/1.1 keep-alive client for the CLI and the benchmark tools: one request in flight
// per connection, Content-Length bodies only (what laurel's RPC server sends). Loopback only
// needs no TLS, no redirects and no chunked uploads. Not thread-safe: one Conn per thread.
#pragma once

#include <atomic>
#include <string>
#include <string_view>

#include "common/status.h"

namespace laurel::cli {

struct Url {
  std::string host;  // dotted IPv4 (a host name is resolved by ParseUrl)
  int port = 0;
  std::string text;  // as given
};

// "http://127.0.0.1:19700" or "http://localhost:8701" (an optional trailing '/').
Result<Url> ParseUrl(std::string_view text);

struct HttpResponse {
  int status = 0;
  std::string body;
};

class HttpConn {
 public:
  explicit HttpConn(Url url) : url_(std::move(url)) {}
  ~HttpConn();
  HttpConn(const HttpConn&) = delete;
  HttpConn& operator=(const HttpConn&) = delete;

  // Sends one request and reads the answer, (re)connecting first when needed. A request that
  // fails on a reused connection (the server closed it while idle) is retried once on a new one.
  Result<HttpResponse> Do(std::string_view method, std::string_view target,
                          std::string_view content_type, std::string_view body,
                          std::string_view accept = {});

  // Interrupts a blocked Do() from another thread (shutdown of the socket).
  void Interrupt();
  const Url& url() const { return url_; }

 private:
  Status Connect();
  void Close();
  Result<HttpResponse> DoOnce(const std::string& request);

  Url url_;
  std::atomic<int> fd_{-1};
  std::string buf_;  // bytes read past the last response
};

}  // namespace laurel::cli
