#include "node/net/tls.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <string>

namespace laurel::net {
namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;

Status OpenSslError(const std::string& what) {
  const unsigned long e = ERR_get_error();
  char buf[256] = {};
  if (e != 0) ERR_error_string_n(e, buf, sizeof(buf));
  ERR_clear_error();
  return Status::Internal("tls: " + what + (e != 0 ? std::string(": ") + buf : std::string()));
}

std::optional<crypto::PublicKey> Ed25519KeyOfPkey(const EVP_PKEY* pkey) {
  if (pkey == nullptr || EVP_PKEY_id(pkey) != EVP_PKEY_ED25519) return std::nullopt;
  crypto::PublicKey out{};
  size_t len = out.size();
  if (EVP_PKEY_get_raw_public_key(pkey, out.data(), &len) != 1 || len != out.size()) {
    ERR_clear_error();
    return std::nullopt;
  }
  return out;
}

Result<X509Ptr> SelfSignedCertificate(EVP_PKEY* pkey, const crypto::PublicKey& pk) {
  X509Ptr cert(X509_new());
  if (!cert) return OpenSslError("X509_new");
  // The serial only has to differ between our own certificates; the peer never looks at it.
  const std::string cn = "laurel-" + HexEncode(ByteView(pk).first(8));
  X509_NAME* name = X509_get_subject_name(cert.get());
  const bool ok =
      X509_set_version(cert.get(), 2) == 1 &&
      ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1) == 1 &&
      X509_gmtime_adj(X509_getm_notBefore(cert.get()), -24L * 3600) != nullptr &&
      X509_gmtime_adj(X509_getm_notAfter(cert.get()), 10L * 365 * 24 * 3600) != nullptr &&
      X509_set_pubkey(cert.get(), pkey) == 1 &&
      X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                 reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1,
                                 0) == 1 &&
      X509_set_issuer_name(cert.get(), name) == 1 &&
      // Ed25519 signs the message itself: the digest must be null.
      X509_sign(cert.get(), pkey, nullptr) > 0;
  if (!ok) return OpenSslError("building the self-signed certificate");
  return cert;
}

}  // namespace

Result<std::shared_ptr<boost::asio::ssl::context>> MakeTlsContext(const crypto::PrivateKey& key) {
  const ByteView seed = key.seed();
  PkeyPtr pkey(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed.data(), seed.size()));
  if (!pkey) return OpenSslError("EVP_PKEY_new_raw_private_key");
  const auto derived = Ed25519KeyOfPkey(pkey.get());
  if (!derived || *derived != key.public_key()) {
    return Status::Internal("tls: OpenSSL derived a different Ed25519 public key from the seed");
  }
  LAUREL_ASSIGN_OR_RETURN(X509Ptr cert, SelfSignedCertificate(pkey.get(), key.public_key()));

  auto ctx = std::make_shared<boost::asio::ssl::context>(boost::asio::ssl::context::tls);
  SSL_CTX* c = ctx->native_handle();
  const bool ok = SSL_CTX_set_min_proto_version(c, TLS1_3_VERSION) == 1 &&
                  SSL_CTX_set_max_proto_version(c, TLS1_3_VERSION) == 1 &&
                  SSL_CTX_set1_sigalgs_list(c, "ed25519") == 1 &&
                  SSL_CTX_use_certificate(c, cert.get()) == 1 &&
                  SSL_CTX_use_PrivateKey(c, pkey.get()) == 1 && SSL_CTX_check_private_key(c) == 1 &&
                  SSL_CTX_set_num_tickets(c, 0) == 1;
  if (!ok) return OpenSslError("configuring the TLS context");
  SSL_CTX_set_options(c, SSL_OP_NO_TICKET);
  SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
  // Streams choose their own verification; a stream that forgets still demands a certificate.
  SSL_CTX_set_verify(c, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  return ctx;
}

std::optional<crypto::PublicKey> Ed25519KeyOfCertificate(X509* cert) {
  if (cert == nullptr) return std::nullopt;
  return Ed25519KeyOfPkey(X509_get0_pubkey(cert));
}

std::optional<crypto::PublicKey> PeerPublicKey(SSL* ssl) {
  if (ssl == nullptr) return std::nullopt;
  X509Ptr cert(SSL_get1_peer_certificate(ssl));
  return Ed25519KeyOfCertificate(cert.get());
}

bool VerifyPeerCertificate(X509_STORE_CTX* ctx,
                           const std::function<bool(const crypto::PublicKey&)>& allowed) {
  if (ctx == nullptr) return false;
  // A self-signed certificate forms a chain of one, verified at depth 0 only. A peer that sends
  // a longer chain is not following the protocol.
  if (X509_STORE_CTX_get_error_depth(ctx) != 0) return false;
  STACK_OF(X509)* chain = X509_STORE_CTX_get0_chain(ctx);
  if (chain != nullptr && sk_X509_num(chain) > 1) return false;
  const auto key = Ed25519KeyOfCertificate(X509_STORE_CTX_get_current_cert(ctx));
  if (!key) return false;
  return allowed(*key);
}

}  // namespace laurel::net
