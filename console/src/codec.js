// laurel's signed byte strings in the browser (docs/spec/signing.md): the canonical protobuf
// encoding of TxBody, CardBody, Card and Tx, base45 card text, card digests, transaction ids
// and Ed25519 signatures. What this module signs is byte for byte what the `laurel` CLI signs;
// tests/console/codec.test.mjs checks it against the golden vectors of tests/data/golden/.
import { argon2idAsync, ed, sha256, xsalsa20poly1305 } from './vendor.js';

const enc = new TextEncoder();

export const TX_DOMAIN = enc.encode('laurel/tx/v1\0');
export const CARD_DOMAIN = enc.encode('laurel/card/v1\0');
export const CARD_DIGEST_DOMAIN = enc.encode('laurel/card-digest/v1\0');
export const CARD_PREFIX = 'LC1:';
export const CARD_SALT_BYTES = 16;
export const MAX_CARD_BYTES = 2048;

// Enum numbers of proto/laurel/v1/tx.proto.
export const CREDENTIAL_TYPES = { MEMBER: 1, MODEL_WORKER: 2 };
export const LEVELS = { NATIONAL: 1, PROVINCIAL: 2, MUNICIPAL: 3, DISTRICT: 4, ENTERPRISE: 5 };
export const CREDENTIAL_STATUSES = { ACTIVE: 1, SUSPENDED: 2, REVOKED: 3 };

// ---- bytes ----------------------------------------------------------------------------------

export function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

export function toHex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export function fromHex(hex) {
  if (typeof hex !== 'string' || hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) {
    throw new Error('not hex');
  }
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(i * 2, 2), 16);
  return out;
}

export function toBase64(bytes) {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

export function randomBytes(n) {
  const out = new Uint8Array(n);
  crypto.getRandomValues(out);
  return out;
}

// ---- protobuf, deterministic (fields in number order, defaults omitted) ----------------------

class Writer {
  constructor() {
    this.parts = [];
  }
  varint(v) {
    let n = BigInt(v);
    if (n < 0n || n >= 1n << 64n) throw new Error(`varint out of range: ${v}`);
    const out = [];
    do {
      let b = Number(n & 0x7fn);
      n >>= 7n;
      if (n > 0n) b |= 0x80;
      out.push(b);
    } while (n > 0n);
    this.parts.push(Uint8Array.from(out));
  }
  key(field, wire) {
    this.varint((field << 3) | wire);
  }
  // Scalars: omitted when they hold their default value, as the deterministic encoding wants.
  uint(field, v) {
    if (v === undefined || v === null || BigInt(v) === 0n) return this;
    this.key(field, 0);
    this.varint(v);
    return this;
  }
  bytes(field, b) {
    if (!b || b.length === 0) return this;
    this.key(field, 2);
    this.varint(b.length);
    this.parts.push(b);
    return this;
  }
  string(field, s) {
    return this.bytes(field, s ? enc.encode(s) : null);
  }
  // A sub-message: present even when empty (a oneof member is written whenever it is set).
  message(field, b) {
    this.key(field, 2);
    this.varint(b.length);
    this.parts.push(b);
    return this;
  }
  finish() {
    return concat(...this.parts);
  }
}

function enumValue(table, name, what) {
  if (name === undefined || name === null || name === '') return 0;
  const v = table[name];
  if (v === undefined) throw new Error(`unknown ${what} '${name}'`);
  return v;
}

// laurel.v1.CardBody
export function encodeCardBody(c) {
  if (!(c.salt instanceof Uint8Array) || c.salt.length !== CARD_SALT_BYTES) {
    throw new Error('a card salt is 16 bytes');
  }
  return new Writer()
    .string(1, c.chain_id)
    .string(2, c.credential_id)
    .string(3, c.issuer_id)
    .uint(4, c.key_version)
    .uint(5, enumValue(CREDENTIAL_TYPES, c.type, 'credential type'))
    .uint(6, enumValue(LEVELS, c.level, 'level'))
    .string(7, c.holder_name)
    .string(8, c.member_no)
    .bytes(9, c.salt)
    .uint(10, c.valid_from)
    .uint(11, c.valid_until)
    .finish();
}

// laurel.v1.Card
export function encodeCard(body, signature) {
  return new Writer().bytes(1, body).bytes(2, signature).finish();
}

function encodeAction(a) {
  if (a.issue_credential) {
    const x = a.issue_credential;
    return [13, new Writer()
      .string(1, x.credential_id)
      .string(2, x.issuer_id)
      .uint(3, enumValue(CREDENTIAL_TYPES, x.type, 'credential type'))
      .uint(4, enumValue(LEVELS, x.level, 'level'))
      .bytes(5, x.card_digest)
      .uint(6, x.valid_from)
      .uint(7, x.valid_until)
      .finish()];
  }
  if (a.set_credential_status) {
    const x = a.set_credential_status;
    return [14, new Writer()
      .string(1, x.credential_id)
      .uint(2, enumValue(CREDENTIAL_STATUSES, x.status, 'credential status'))
      .string(3, x.reason)
      .finish()];
  }
  if (a.renew_credential) {
    const x = a.renew_credential;
    return [15, new Writer()
      .string(1, x.credential_id)
      .bytes(2, x.card_digest)
      .uint(3, x.valid_from)
      .uint(4, x.valid_until)
      .finish()];
  }
  throw new Error('unsupported transaction action');
}

// laurel.v1.TxBody with one of the credential actions.
export function encodeTxBody(t) {
  if (!(t.nonce instanceof Uint8Array) || t.nonce.length < 8 || t.nonce.length > 32) {
    throw new Error('a nonce is 8 to 32 bytes');
  }
  const [field, action] = encodeAction(t);
  return new Writer()
    .string(1, t.chain_id)
    .bytes(2, t.nonce)
    .uint(3, t.expires_at_height)
    .message(field, action)
    .finish();
}

// laurel.v1.Tx: the body and its signatures ({public_key, signature} byte arrays).
export function encodeTx(body, signatures) {
  const w = new Writer().bytes(1, body);
  for (const s of signatures) {
    w.message(2, new Writer().bytes(1, s.public_key).bytes(2, s.signature).finish());
  }
  return w.finish();
}

// ---- base45 (RFC 9285) and card text ---------------------------------------------------------

const B45 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';

export function base45Encode(bytes) {
  let out = '';
  for (let i = 0; i + 1 < bytes.length; i += 2) {
    let n = bytes[i] * 256 + bytes[i + 1];
    const c = n % 45;
    n = (n - c) / 45;
    out += B45[c] + B45[n % 45] + B45[(n - (n % 45)) / 45];
  }
  if (bytes.length % 2 === 1) {
    const n = bytes[bytes.length - 1];
    out += B45[n % 45] + B45[(n - (n % 45)) / 45];
  }
  return out;
}

export function base45Decode(text) {
  const vals = [];
  for (const ch of text) {
    const v = B45.indexOf(ch);
    if (v < 0) throw new Error(`'${ch}' is not a base45 character`);
    vals.push(v);
  }
  if (vals.length % 3 === 1) throw new Error('dangling base45 character');
  const out = [];
  for (let i = 0; i < vals.length; i += 3) {
    if (i + 2 < vals.length) {
      const n = vals[i] + vals[i + 1] * 45 + vals[i + 2] * 2025;
      if (n > 65535) throw new Error('base45 triple above 65535');
      out.push(n >> 8, n & 0xff);
    } else {
      const n = vals[i] + vals[i + 1] * 45;
      if (n > 255) throw new Error('base45 pair above 255');
      out.push(n);
    }
  }
  return Uint8Array.from(out);
}

export function cardText(cardBytes) {
  return CARD_PREFIX + base45Encode(cardBytes);
}

// ---- digests, ids, signatures ---------------------------------------------------------------

export function cardDigest(cardBody) {
  return sha256(concat(CARD_DIGEST_DOMAIN, cardBody));
}

export function txId(body) {
  return toHex(sha256(body));
}

export function publicKeyOf(seed) {
  return ed.getPublicKey(seed);
}

export function signCardBody(cardBody, seed) {
  return ed.sign(concat(CARD_DOMAIN, cardBody), seed);
}

export function signTxBody(body, seed) {
  return ed.sign(concat(TX_DOMAIN, body), seed);
}

export function verifyTxSignature(body, signature, publicKey) {
  return ed.verify(signature, concat(TX_DOMAIN, body), publicKey);
}

// Key files of `laurel keygen` (crypto/keyfile.h, docs/console.md "Key files"): JSON with
// "type" "laurel-ed25519-v1" and "public_key" (hex), and either "seed" (hex; plain) or, when
// encrypted with a passphrase, "kdf" "argon2id13", "opslimit", "memlimit", "salt" (16 bytes
// hex), "nonce" (24) and "ciphertext" (48: the Poly1305 tag, then the 32-byte seed under
// XSalsa20). The box key is Argon2id(passphrase as UTF-8, salt, t = opslimit,
// m = memlimit / 1024 KiB, p = 1, 32 bytes) — libsodium's crypto_pwhash — and the box is
// libsodium's crypto_secretbox_easy, so the CLI and the console open each other's files.

export const KEY_TYPE = 'laurel-ed25519-v1';
export const KEY_KDF = 'argon2id13';
// libsodium's crypto_pwhash_OPSLIMIT_INTERACTIVE / MEMLIMIT_INTERACTIVE (what the CLI writes) and
// the _SENSITIVE limits, above which a file is refused (as the CLI does).
export const KEY_OPSLIMIT = 2;
export const KEY_MEMLIMIT = 64 * 1024 * 1024;
const MAX_OPSLIMIT = 4;
const MAX_MEMLIMIT = 1024 * 1024 * 1024;

// An error about a key file; `code` tells the page which message to show:
// NOT_KEY_FILE, BAD_KEY_FILE, PASSPHRASE_NEEDED, WRONG_PASSPHRASE.
export class KeyFileError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

function hexField(j, name, bytes) {
  let v;
  try {
    v = fromHex(String(j[name] ?? ''));
  } catch {
    v = null;
  }
  if (!v || v.length !== bytes) throw new KeyFileError('BAD_KEY_FILE', `key file: bad ${name}`);
  return v;
}

function parseKeyJson(text) {
  let j;
  try {
    j = JSON.parse(text);
  } catch {
    throw new KeyFileError('NOT_KEY_FILE', 'not a laurel key file (not JSON)');
  }
  if (!j || typeof j !== 'object') throw new KeyFileError('NOT_KEY_FILE', 'not a laurel key file');
  return j;
}

function keyFromSeed(seed, publicKeyHex) {
  if (typeof publicKeyHex !== 'string') {
    seed.fill(0);
    throw new KeyFileError('NOT_KEY_FILE', 'not a laurel key file (no seed / public_key)');
  }
  const pub = publicKeyOf(seed);
  if (toHex(pub) !== publicKeyHex.toLowerCase()) {
    seed.fill(0);
    throw new KeyFileError('BAD_KEY_FILE', 'key file: the seed does not give its public key');
  }
  return { seed, publicKey: pub, publicKeyHex: toHex(pub) };
}

// Whether a key file's text is an encrypted key file (needs a passphrase).
export function keyFileIsEncrypted(text) {
  try {
    return 'ciphertext' in parseKeyJson(text);
  } catch {
    return false;
  }
}

// A plain key file. Returns {seed, publicKey, publicKeyHex}. An encrypted one needs
// openKeyFile (PASSPHRASE_NEEDED).
export function parseKeyFile(text) {
  const j = parseKeyJson(text);
  if ('ciphertext' in j) {
    throw new KeyFileError('PASSPHRASE_NEEDED', 'encrypted key file: give its passphrase');
  }
  if (typeof j.seed !== 'string' || typeof j.public_key !== 'string') {
    throw new KeyFileError('NOT_KEY_FILE', 'not a laurel key file (no seed / public_key)');
  }
  return keyFromSeed(hexField(j, 'seed', 32), j.public_key);
}

async function boxKey(passphrase, salt, opslimit, memlimit) {
  return argon2idAsync(new TextEncoder().encode(passphrase), salt,
    { t: opslimit, m: memlimit / 1024, p: 1, dkLen: 32, version: 0x13 });
}

// A plain or encrypted key file; `passphrase` (a string) opens an encrypted one. A wrong
// passphrase is WRONG_PASSPHRASE and yields no key. Takes about a second (Argon2id, 64 MiB).
export async function openKeyFile(text, passphrase) {
  const j = parseKeyJson(text);
  if (!('ciphertext' in j)) return parseKeyFile(text);
  if (!passphrase) throw new KeyFileError('PASSPHRASE_NEEDED', 'encrypted key file: give its passphrase');
  if (j.type !== KEY_TYPE || j.kdf !== KEY_KDF) {
    throw new KeyFileError('BAD_KEY_FILE', `key file: unknown type or kdf (${j.type}, ${j.kdf})`);
  }
  const ops = j.opslimit;
  const mem = j.memlimit;
  if (!Number.isInteger(ops) || !Number.isInteger(mem) || ops < 1 || ops > MAX_OPSLIMIT ||
      mem < 8192 || mem > MAX_MEMLIMIT || mem % 1024 !== 0) {
    throw new KeyFileError('BAD_KEY_FILE', 'key file: bad kdf limits');
  }
  const salt = hexField(j, 'salt', 16);
  const nonce = hexField(j, 'nonce', 24);
  const ct = hexField(j, 'ciphertext', 48);
  const key = await boxKey(passphrase, salt, ops, mem);
  let seed;
  try {
    seed = xsalsa20poly1305(key, nonce).decrypt(ct);
  } catch {
    throw new KeyFileError('WRONG_PASSPHRASE', 'wrong passphrase (or a damaged key file)');
  } finally {
    key.fill(0);
  }
  return keyFromSeed(seed, j.public_key);
}

// An encrypted key file for `seed` (32 bytes) under `passphrase`, as `laurel keygen
// --passphrase-file` writes it (same fields, limits and algorithms). Returns its text.
export async function sealKeyFile(seed, passphrase, { opslimit = KEY_OPSLIMIT, memlimit = KEY_MEMLIMIT } = {}) {
  if (!passphrase) throw new KeyFileError('PASSPHRASE_NEEDED', 'a passphrase is needed');
  const salt = randomBytes(16);
  const nonce = randomBytes(24);
  const key = await boxKey(passphrase, salt, opslimit, memlimit);
  const ct = xsalsa20poly1305(key, nonce).encrypt(seed);
  key.fill(0);
  return `${JSON.stringify({
    type: KEY_TYPE, public_key: toHex(publicKeyOf(seed)), kdf: KEY_KDF, opslimit, memlimit,
    salt: toHex(salt), nonce: toHex(nonce), ciphertext: toHex(ct),
  }, null, 2)}\n`;
}

// ---- whole cards and transactions -----------------------------------------------------------

// Signs a card: {body, card, text, digest} (bytes, bytes, "LC1:…", bytes).
export function makeCard(fields, seed) {
  const body = encodeCardBody({ ...fields, salt: fields.salt || randomBytes(CARD_SALT_BYTES) });
  const signature = signCardBody(body, seed);
  const card = encodeCard(body, signature);
  if (card.length > MAX_CARD_BYTES) throw new Error('card too large');
  return { body, card, text: cardText(card), digest: cardDigest(body) };
}

// Signs a transaction: {body, tx_id, json} where json is the POST /v1/txs body.
export function makeTx(fields, seed) {
  const body = encodeTxBody({ ...fields, nonce: fields.nonce || randomBytes(16) });
  const signature = signTxBody(body, seed);
  const publicKey = publicKeyOf(seed);
  return {
    body,
    tx_id: txId(body),
    tx: encodeTx(body, [{ public_key: publicKey, signature }]),
    json: {
      body: toBase64(body),
      signatures: [{ public_key: toBase64(publicKey), signature: toBase64(signature) }],
    },
  };
}
