// TLS identity for the P2P transport (internal to laurel_net and its tests; includes Asio SSL,
// so keep it out of widely included headers).
//
// A node's X.509 certificate is self-signed and made in memory at start-up from its Ed25519
// seed. Nothing in the certificate matters except its Ed25519 public key: names, dates and the
// self-signature are ignored by the peer. TLS 1.3's CertificateVerify proves that the peer holds
// the private key, so "the key in the peer's certificate" is the peer's authenticated identity.
//
// Thread safety: the functions are safe to call concurrently. An ssl::context may be shared by
// streams on several threads (OpenSSL SSL_CTX is internally locked) but not reconfigured.
#pragma once

#include <openssl/ssl.h>

#include <boost/asio/ssl/context.hpp>
#include <functional>
#include <memory>
#include <optional>

#include "common/status.h"
#include "crypto/ed25519.h"

namespace laurel::net {

// An SSL context restricted to TLS 1.3 with Ed25519 signatures, carrying a fresh self-signed
// certificate for `key`, with session tickets and caching off (every connection does a full
// handshake, so every connection verifies the peer's certificate). Peer verification is not set
// here: each stream sets its own mode and callback (see MakeKeyVerifier).
// kInternal if OpenSSL refuses, or derives a public key different from libsodium's.
Result<std::shared_ptr<boost::asio::ssl::context>> MakeTlsContext(const crypto::PrivateKey& key);

// The Ed25519 public key in a certificate, or nullopt if it holds another kind of key.
std::optional<crypto::PublicKey> Ed25519KeyOfCertificate(X509* cert);

// The Ed25519 key of the certificate the peer presented on an established connection, or
// nullopt (no certificate, or not Ed25519).
std::optional<crypto::PublicKey> PeerPublicKey(SSL* ssl);

// The body of a verify callback (ssl::stream::set_verify_callback) that accepts exactly a chain
// of one certificate whose Ed25519 key satisfies `allowed`. OpenSSL's own verdict (which always
// complains that the certificate is self-signed) is ignored. Never throws.
bool VerifyPeerCertificate(X509_STORE_CTX* ctx,
                           const std::function<bool(const crypto::PublicKey&)>& allowed);

}  // namespace laurel::net
