// A stand-in for a node's HTTP API in the CLI tests: listens on 127.0.0.1 (a free port), serves
// keep-alive HTTP/1.1 requests one connection at a time on its own thread, and answers each with
// what the test's handler returns. Records every request. Only what the CLI sends is
// understood (Content-Length bodies).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace laurel::cli_test {

struct FakeRequest {
  std::string method;
  std::string target;
  std::string content_type;
  std::string body;
};

struct FakeResponse {
  int status = 200;
  std::string body;  // JSON
};

class FakeNode {
 public:
  using Handler = std::function<FakeResponse(const FakeRequest&)>;

  explicit FakeNode(Handler handler) : handler_(std::move(handler)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    const int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listen_fd_, 8) != 0) {
      throw std::runtime_error("FakeNode: cannot listen");
    }
    socklen_t len = sizeof addr;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Loop(); });
  }
  ~FakeNode() {
    stop_ = true;
    thread_.join();
    ::close(listen_fd_);
  }
  FakeNode(const FakeNode&) = delete;
  FakeNode& operator=(const FakeNode&) = delete;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<FakeRequest> requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }
  // Requests whose target starts with `prefix`.
  size_t Count(const std::string& method, const std::string& prefix) const {
    size_t n = 0;
    for (const auto& r : requests()) {
      if (r.method == method && r.target.rfind(prefix, 0) == 0) ++n;
    }
    return n;
  }

 private:
  bool WaitReadable(int fd) {
    while (!stop_) {
      pollfd p{fd, POLLIN, 0};
      const int n = ::poll(&p, 1, 50);
      if (n > 0) return true;
      if (n < 0 && errno != EINTR) return false;
    }
    return false;
  }

  void Loop() {
    while (WaitReadable(listen_fd_)) {
      const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      Serve(fd);
      ::close(fd);
    }
  }

  void Serve(int fd) {
    std::string buf;
    for (;;) {
      size_t end;
      while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
        if (!ReadMore(fd, buf)) return;
      }
      FakeRequest req;
      const std::string head = buf.substr(0, end);
      buf.erase(0, end + 4);
      const auto sp1 = head.find(' ');
      const auto sp2 = head.find(' ', sp1 + 1);
      req.method = head.substr(0, sp1);
      req.target = head.substr(sp1 + 1, sp2 - sp1 - 1);
      size_t length = 0;
      size_t pos = head.find("\r\n");
      while (pos != std::string::npos && pos < head.size()) {
        const size_t next = head.find("\r\n", pos + 2);
        std::string line =
            head.substr(pos + 2, next == std::string::npos ? std::string::npos : next - pos - 2);
        std::string lower = line;
        for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (lower.rfind("content-length:", 0) == 0) length = std::stoul(line.substr(15));
        if (lower.rfind("content-type:", 0) == 0) {
          req.content_type = line.substr(13);
          while (!req.content_type.empty() && req.content_type.front() == ' ') {
            req.content_type.erase(0, 1);
          }
        }
        pos = next;
      }
      while (buf.size() < length) {
        if (!ReadMore(fd, buf)) return;
      }
      req.body = buf.substr(0, length);
      buf.erase(0, length);
      {
        std::lock_guard<std::mutex> lock(mu_);
        requests_.push_back(req);
      }
      const FakeResponse resp = handler_(req);
      const std::string out = "HTTP/1.1 " + std::to_string(resp.status) +
                              " X\r\nContent-Type: application/json\r\nContent-Length: " +
                              std::to_string(resp.body.size()) + "\r\n\r\n" + resp.body;
      size_t off = 0;
      while (off < out.size()) {
        const ssize_t n = ::send(fd, out.data() + off, out.size() - off, MSG_NOSIGNAL);
        if (n <= 0) return;
        off += static_cast<size_t>(n);
      }
    }
  }

  bool ReadMore(int fd, std::string& buf) {
    if (!WaitReadable(fd)) return false;
    char chunk[4096];
    const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buf.append(chunk, static_cast<size_t>(n));
    return true;
  }

  Handler handler_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  mutable std::mutex mu_;
  std::vector<FakeRequest> requests_;
};

}  // namespace laurel::cli_test
