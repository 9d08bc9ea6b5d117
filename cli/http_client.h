// A minimal blocking HTTP/1.1 keep-alive client for the CLI and the benchmark tools: one request
// in flight per connection, Content-Length bodies only (what laurel's RPC server sends), no
// redirects and no chunked uploads. http:// or https:// (OpenSSL, TLS 1.2 or later, the server's
// certificate verified against $LAUREL_CACERT when set, else the system's CA store, and its
// name or IP address checked). Not thread-safe: one Conn per thread.
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
  bool tls = false;  // https://
  std::string name;  // the host as given: the name (or IP) the certificate must carry
};

// "http://127.0.0.1:19700", "http://localhost:8701" or "https://node1.example.org" (an
// optional trailing '/'; without a port, 80 for http and 443 for https).
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

  Status Send(const char* data, size_t size);
  // Bytes read into `buf`: > 0, or an error (a closed connection included).
  Result<size_t> Recv(char* buf, size_t size);

  Url url_;
  std::atomic<int> fd_{-1};
  void* ssl_ = nullptr;      // SSL* of the current connection over TLS
  void* ssl_ctx_ = nullptr;  // SSL_CTX*, made at the first TLS connection
  std::string buf_;  // bytes read past the last response
};

}  // namespace laurel::cli
