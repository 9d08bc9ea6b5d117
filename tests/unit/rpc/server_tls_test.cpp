// The HTTP API over TLS: a server with a certificate made here answers HTTPS (TLS 1.3), refuses
// plain HTTP with 400 TLS_REQUIRED, refuses a TLS 1.2-only client and garbage, and keeps
// serving; bad certificate settings stop Start() with a message naming them.
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "rpc/server.h"
#include "tests/unit/rpc/rpc_test_util.h"

namespace laurel::rpc::test {
namespace {

namespace fs = std::filesystem;

// A folder with a self-signed P-256 certificate for 127.0.0.1 (cert.pem, key.pem) and a second
// key that does not match it (other-key.pem).
struct TlsFiles {
  fs::path dir;
  std::string cert, key, other_key;

  TlsFiles() {
    char tmpl[] = "/tmp/laurel-tls-XXXXXX";
    dir = mkdtemp(tmpl);
    cert = (dir / "cert.pem").string();
    key = (dir / "key.pem").string();
    other_key = (dir / "other-key.pem").string();
    EVP_PKEY* pkey = EVP_EC_gen("P-256");
    EVP_PKEY* other = EVP_EC_gen("P-256");
    REQUIRE(pkey != nullptr);
    REQUIRE(other != nullptr);
    X509* x = X509_new();
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), -60);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, pkey);
    X509_NAME* name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("laurel test"), -1, -1, 0);
    X509_set_issuer_name(x, name);
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
    X509_EXTENSION* san = X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, "IP:127.0.0.1");
    X509_add_ext(x, san, -1);
    X509_EXTENSION_free(san);
    REQUIRE(X509_sign(x, pkey, EVP_sha256()) > 0);
    Write(cert, [&](FILE* f) { return PEM_write_X509(f, x); });
    Write(key, [&](FILE* f) {
      return PEM_write_PrivateKey(f, pkey, nullptr, nullptr, 0, nullptr, nullptr);
    });
    Write(other_key, [&](FILE* f) {
      return PEM_write_PrivateKey(f, other, nullptr, nullptr, 0, nullptr, nullptr);
    });
    X509_free(x);
    EVP_PKEY_free(pkey);
    EVP_PKEY_free(other);
  }
  ~TlsFiles() { fs::remove_all(dir); }

  template <class Fn>
  static void Write(const std::string& path, Fn fn) {
    FILE* f = std::fopen(path.c_str(), "w");
    REQUIRE(f != nullptr);
    REQUIRE(fn(f) == 1);
    std::fclose(f);
  }
};

// One HTTPS GET with OpenSSL, trusting `ca`; the raw answer, or "" when the handshake failed.
std::string HttpsGet(uint16_t port, const std::string& ca, const std::string& target,
                     int max_version = 0) {
  Conn c(port);
  if (!c.connected()) return "";
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_load_verify_locations(ctx, ca.c_str(), nullptr);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  if (max_version != 0) SSL_CTX_set_max_proto_version(ctx, max_version);
  SSL* ssl = SSL_new(ctx);
  X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), "127.0.0.1");
  SSL_set_fd(ssl, c.fd());
  std::string out;
  if (SSL_connect(ssl) == 1) {
    const std::string req =
        "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    SSL_write(ssl, req.data(), static_cast<int>(req.size()));
    char buf[4096];
    for (int n; (n = SSL_read(ssl, buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
    if (out.empty()) out = "(no answer)";
  }
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  return out;
}

TEST_CASE("the API speaks HTTPS with tls_cert and tls_key, and refuses plain HTTP clearly",
          "[rpc][tls]") {
  TlsFiles files;
  FakeNode node;
  RpcConfig config;
  config.tls_cert = files.cert;
  config.tls_key = files.key;
  auto s = RpcServer::Start(config, node);
  REQUIRE(s.ok());
  const uint16_t port = (*s)->port();

  const std::string ok = HttpsGet(port, files.cert, "/v1/status");
  INFO(ok);
  CHECK(ok.rfind("HTTP/1.1 200", 0) == 0);
  CHECK(ok.find(node.chain_id()) != std::string::npos);

  // Plain HTTP: a clear answer in plain text, then the connection closes.
  auto plain = Http(port, "GET", "/v1/status");
  CHECK(plain.status == 400);
  CHECK(plain.body.find("TLS_REQUIRED") != std::string::npos);

  // TLS 1.2 at most: no handshake.
  CHECK(HttpsGet(port, files.cert, "/healthz", TLS1_2_VERSION).empty());

  // Bytes that are no TLS ClientHello: the same plain answer. A broken ClientHello: the
  // handshake fails and the connection closes without an HTTP answer.
  {
    Conn c(port);
    REQUIRE(c.Send(std::string("\x16\x03\x01\x00\x20", 5) + std::string(32, '\x7f')));
    auto r = c.Read();
    REQUIRE(r.has_value());
    CHECK(r->status == 400);
  }
  {
    Conn c(port);
    REQUIRE(
        c.Send(std::string("\x16\x03\x01\x00\x40\x01\x00\x00\x3c", 9) + std::string(60, '\x7f')));
    CHECK_FALSE(c.Read().has_value());
  }
  // Still serving.
  CHECK(HttpsGet(port, files.cert, "/healthz").rfind("HTTP/1.1 200", 0) == 0);
}

TEST_CASE("bad TLS settings stop Start with a message naming them", "[rpc][tls][badinput]") {
  TlsFiles files;
  FakeNode node;
  const auto start = [&](const std::string& cert, const std::string& key) {
    RpcConfig c;
    c.tls_cert = cert;
    c.tls_key = key;
    return RpcServer::Start(c, node);
  };
  auto only_cert = start(files.cert, "");
  REQUIRE_FALSE(only_cert.ok());
  CHECK(only_cert.status().message().find("tls_cert and tls_key") != std::string::npos);
  auto missing = start((files.dir / "none.pem").string(), files.key);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().message().find("tls_cert") != std::string::npos);
  auto not_pem = start(files.cert, files.cert);
  REQUIRE_FALSE(not_pem.ok());
  CHECK(not_pem.status().message().find("tls_key") != std::string::npos);
  auto mismatch = start(files.cert, files.other_key);
  REQUIRE_FALSE(mismatch.ok());
  INFO(mismatch.status().message());
  CHECK(mismatch.status().message().find("tls_key") != std::string::npos);
  CHECK(mismatch.status().message().find("mismatch") != std::string::npos);
}

}  // namespace
}  // namespace laurel::rpc::test
