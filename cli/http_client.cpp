#include "cli/http_client.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>

namespace laurel::cli {
namespace {

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace

Result<Url> ParseUrl(std::string_view text) {
  Url u;
  u.text = std::string(text);
  std::string_view s = text;
  constexpr std::string_view kHttp = "http://";
  constexpr std::string_view kHttps = "https://";
  if (s.substr(0, kHttps.size()) == kHttps) {
    u.tls = true;
    s.remove_prefix(kHttps.size());
  } else if (s.substr(0, kHttp.size()) == kHttp) {
    s.remove_prefix(kHttp.size());
  } else {
    return Status::InvalidArgument("expected http://HOST:PORT or https://HOST[:PORT], got '" +
                                   u.text + "'");
  }
  if (!s.empty() && s.back() == '/') s.remove_suffix(1);
  const auto colon = s.rfind(':');
  if (colon == std::string_view::npos) {
    u.host = std::string(s);
    u.port = u.tls ? 443 : 80;
  } else {
    u.host = std::string(s.substr(0, colon));
    const auto port = s.substr(colon + 1);
    auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), u.port);
    if (ec != std::errc() || p != port.data() + port.size() || u.port <= 0 || u.port > 65535) {
      return Status::InvalidArgument("bad port in '" + u.text + "'");
    }
  }
  if (u.host.empty() || u.host.find_first_of("/?#@ ") != std::string::npos) {
    return Status::InvalidArgument("bad host in '" + u.text + "'");
  }
  u.name = u.host;
  in_addr addr{};
  if (inet_pton(AF_INET, u.host.c_str(), &addr) != 1) {
    // A host name ("localhost", "node1.example"): resolved once, to its first IPv4 address.
    addrinfo hints{};
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    if (getaddrinfo(u.host.c_str(), nullptr, &hints, &res) != 0 || res == nullptr) {
      return Status::InvalidArgument("cannot resolve host '" + u.host + "' in '" + u.text + "'");
    }
    char ip[INET_ADDRSTRLEN] = {};
    inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(res->ai_addr)->sin_addr, ip, sizeof ip);
    freeaddrinfo(res);
    u.host = ip;
  }
  return u;
}

HttpConn::~HttpConn() {
  Close();
  if (ssl_ctx_ != nullptr) SSL_CTX_free(static_cast<SSL_CTX*>(ssl_ctx_));
}

void HttpConn::Close() {
  if (ssl_ != nullptr) {
    SSL_free(static_cast<SSL*>(ssl_));
    ssl_ = nullptr;
  }
  const int fd = fd_.exchange(-1);
  if (fd >= 0) ::close(fd);
  buf_.clear();
}

namespace {

std::string TlsErrors() {
  std::string out;
  while (const unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out;
}

}  // namespace

void HttpConn::Interrupt() {
  const int fd = fd_.load();
  if (fd >= 0) ::shutdown(fd, SHUT_RDWR);
}

Status HttpConn::Connect() {
  Close();
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::IoError(std::string("socket: ") + std::strerror(errno));
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(url_.port));
  inet_pton(AF_INET, url_.host.c_str(), &sa.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    const int e = errno;
    ::close(fd);
    return Status::Unavailable("connect " + url_.text + ": " + std::strerror(e));
  }
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  timeval tv{};
  tv.tv_sec = 90;  // above the server's longest wait (?wait=commit is clamped to 60 s)
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  fd_ = fd;
  if (!url_.tls) return Status::Ok();

  ERR_clear_error();
  if (ssl_ctx_ == nullptr) {
    SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == nullptr) return Status::IoError("TLS: " + TlsErrors());
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    const char* ca = std::getenv("LAUREL_CACERT");
    if (ca != nullptr && *ca != '\0') {
      if (SSL_CTX_load_verify_locations(ctx, ca, nullptr) != 1) {
        SSL_CTX_free(ctx);
        Close();
        return Status::IoError(std::string("--cacert ") + ca +
                               ": cannot load PEM certificates: " + TlsErrors());
      }
    } else {
      SSL_CTX_set_default_verify_paths(ctx);
    }
    ssl_ctx_ = ctx;
  }
  SSL* ssl = SSL_new(static_cast<SSL_CTX*>(ssl_ctx_));
  if (ssl == nullptr) {
    Close();
    return Status::IoError("TLS: " + TlsErrors());
  }
  ssl_ = ssl;
  in6_addr ip6{};
  in_addr ip4{};
  const bool is_ip = inet_pton(AF_INET, url_.name.c_str(), &ip4) == 1 ||
                     inet_pton(AF_INET6, url_.name.c_str(), &ip6) == 1;
  if (is_ip) {
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), url_.name.c_str());
  } else {
    SSL_set_tlsext_host_name(ssl, url_.name.c_str());
    SSL_set1_host(ssl, url_.name.c_str());
  }
  SSL_set_fd(ssl, fd);
  if (SSL_connect(ssl) != 1) {
    const long verify = SSL_get_verify_result(ssl);
    std::string why = TlsErrors();
    if (verify != X509_V_OK) {
      why = std::string("the server's certificate is not trusted: ") +
            X509_verify_cert_error_string(verify) + " (--cacert FILE names the CA to trust)";
    }
    Close();
    return Status::Unavailable("TLS handshake with " + url_.text +
                               " failed: " + (why.empty() ? "connection closed" : why));
  }
  return Status::Ok();
}

Status HttpConn::Send(const char* data, size_t size) {
  size_t sent = 0;
  while (sent < size) {
    if (ssl_ != nullptr) {
      const int n = SSL_write(static_cast<SSL*>(ssl_), data + sent, static_cast<int>(size - sent));
      if (n <= 0) {
        Close();
        return Status::IoError("TLS send failed");
      }
      sent += static_cast<size_t>(n);
      continue;
    }
    const ssize_t n = ::send(fd_.load(), data + sent, size - sent, MSG_NOSIGNAL);
    if (n <= 0) {
      const int e = errno;
      Close();
      return Status::IoError(std::string("send: ") + std::strerror(e));
    }
    sent += static_cast<size_t>(n);
  }
  return Status::Ok();
}

Result<size_t> HttpConn::Recv(char* buf, size_t size) {
  if (ssl_ != nullptr) {
    const int n = SSL_read(static_cast<SSL*>(ssl_), buf, static_cast<int>(size));
    if (n <= 0) {
      Close();
      return Status::IoError("recv: TLS connection closed");
    }
    return static_cast<size_t>(n);
  }
  const ssize_t n = ::recv(fd_.load(), buf, size, 0);
  if (n <= 0) {
    const int e = n == 0 ? ECONNRESET : errno;
    Close();
    return Status::IoError(std::string("recv: ") + std::strerror(e));
  }
  return static_cast<size_t>(n);
}

Result<HttpResponse> HttpConn::Do(std::string_view method, std::string_view target,
                                  std::string_view content_type, std::string_view body,
                                  std::string_view accept) {
  std::string req;
  req.reserve(160 + body.size());
  req.append(method).append(" ").append(target).append(" HTTP/1.1\r\nHost: ");
  req.append(url_.name).append(":").append(std::to_string(url_.port)).append("\r\n");
  if (!accept.empty()) req.append("Accept: ").append(accept).append("\r\n");
  if (!content_type.empty() || method == "POST") {
    if (!content_type.empty()) req.append("Content-Type: ").append(content_type).append("\r\n");
    req.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
  }
  req.append("\r\n").append(body);

  const bool reused = fd_.load() >= 0;
  if (!reused) LAUREL_RETURN_IF_ERROR(Connect());
  auto r = DoOnce(req);
  if (r.ok() || !reused) return r;
  // The server may have closed an idle keep-alive connection: one retry on a new one.
  LAUREL_RETURN_IF_ERROR(Connect());
  return DoOnce(req);
}

Result<HttpResponse> HttpConn::DoOnce(const std::string& request) {
  LAUREL_RETURN_IF_ERROR(Send(request.data(), request.size()));
  // Headers.
  size_t header_end;
  char chunk[16384];
  while ((header_end = buf_.find("\r\n\r\n")) == std::string::npos) {
    LAUREL_ASSIGN_OR_RETURN(const size_t n, Recv(chunk, sizeof chunk));
    buf_.append(chunk, n);
  }
  HttpResponse resp;
  std::string_view head(buf_.data(), header_end);
  const auto line_end = head.find("\r\n");
  std::string_view status_line = head.substr(0, line_end);
  if (status_line.size() < 12 || status_line.substr(0, 5) != "HTTP/") {
    Close();
    return Status::Corruption("bad status line");
  }
  {
    auto code = status_line.substr(9, 3);
    std::from_chars(code.data(), code.data() + code.size(), resp.status);
  }
  size_t content_length = 0;
  bool close_after = false;
  size_t pos = line_end == std::string_view::npos ? head.size() : line_end + 2;
  while (pos < head.size()) {
    auto eol = head.find("\r\n", pos);
    if (eol == std::string_view::npos) eol = head.size();
    const auto line = head.substr(pos, eol - pos);
    pos = eol + 2;
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const auto name = Trim(line.substr(0, colon));
    const auto value = Trim(line.substr(colon + 1));
    if (IEquals(name, "content-length")) {
      std::from_chars(value.data(), value.data() + value.size(), content_length);
    } else if (IEquals(name, "connection") && IEquals(value, "close")) {
      close_after = true;
    } else if (IEquals(name, "transfer-encoding")) {
      Close();
      return Status::Unavailable("chunked responses are not supported");
    }
  }
  const size_t total = header_end + 4 + content_length;
  while (buf_.size() < total) {
    LAUREL_ASSIGN_OR_RETURN(const size_t n, Recv(chunk, sizeof chunk));
    buf_.append(chunk, n);
  }
  resp.body = buf_.substr(header_end + 4, content_length);
  buf_.erase(0, total);
  if (close_after) Close();
  return resp;
}

}  // namespace laurel::cli
