#include "cli/http_client.h"

#include <netdb.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
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
  constexpr std::string_view kScheme = "http://";
  if (s.substr(0, kScheme.size()) != kScheme) {
    return Status::InvalidArgument("expected http://HOST:PORT, got '" + u.text + "'");
  }
  s.remove_prefix(kScheme.size());
  if (!s.empty() && s.back() == '/') s.remove_suffix(1);
  const auto colon = s.rfind(':');
  if (colon == std::string_view::npos) {
    return Status::InvalidArgument("no port in '" + u.text + "'");
  }
  u.host = std::string(s.substr(0, colon));
  const auto port = s.substr(colon + 1);
  auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), u.port);
  if (ec != std::errc() || p != port.data() + port.size() || u.port <= 0 || u.port > 65535) {
    return Status::InvalidArgument("bad port in '" + u.text + "'");
  }
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

HttpConn::~HttpConn() { Close(); }

void HttpConn::Close() {
  const int fd = fd_.exchange(-1);
  if (fd >= 0) ::close(fd);
  buf_.clear();
}

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
  return Status::Ok();
}

Result<HttpResponse> HttpConn::Do(std::string_view method, std::string_view target,
                                  std::string_view content_type, std::string_view body,
                                  std::string_view accept) {
  std::string req;
  req.reserve(160 + body.size());
  req.append(method).append(" ").append(target).append(" HTTP/1.1\r\nHost: ");
  req.append(url_.host).append(":").append(std::to_string(url_.port)).append("\r\n");
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
  const int fd = fd_.load();
  size_t sent = 0;
  while (sent < request.size()) {
    const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) {
      const int e = errno;
      Close();
      return Status::IoError(std::string("send: ") + std::strerror(e));
    }
    sent += static_cast<size_t>(n);
  }
  // Headers.
  size_t header_end;
  char chunk[16384];
  while ((header_end = buf_.find("\r\n\r\n")) == std::string::npos) {
    const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) {
      const int e = n == 0 ? ECONNRESET : errno;
      Close();
      return Status::IoError(std::string("recv: ") + std::strerror(e));
    }
    buf_.append(chunk, static_cast<size_t>(n));
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
    const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) {
      const int e = n == 0 ? ECONNRESET : errno;
      Close();
      return Status::IoError(std::string("recv body: ") + std::strerror(e));
    }
    buf_.append(chunk, static_cast<size_t>(n));
  }
  resp.body = buf_.substr(header_end + 4, content_length);
  buf_.erase(0, total);
  if (close_after) Close();
  return resp;
}

}  // namespace laurel::cli
