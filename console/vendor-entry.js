// The npm libraries the console uses in the browser, bundled into vendor.js at build time
// (console/build.mjs): Ed25519 signing (RFC 8032) and SHA-2, QR decoding, QR generation, and
// for encrypted key files libsodium's crypto_pwhash (Argon2id) and crypto_secretbox
// (XSalsa20-Poly1305) in plain JS (pages over plain http have no WebCrypto).
import * as ed from '@noble/ed25519';
import { xsalsa20poly1305 } from '@noble/ciphers/salsa.js';
import { argon2idAsync } from '@noble/hashes/argon2.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import jsQR from 'jsqr';
import qrcode from 'qrcode-generator';

// Synchronous SHA-512 for Ed25519: pages served over plain http from another machine are not a
// secure context, so WebCrypto (crypto.subtle) may be missing there.
ed.hashes.sha512 = sha512;

export { argon2idAsync, ed, sha256, jsQR, qrcode, xsalsa20poly1305 };
