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
  return encodeCardBodyNumbers({
    ...c,
    type: enumValue(CREDENTIAL_TYPES, c.type, 'credential type'),
    level: enumValue(LEVELS, c.level, 'level'),
  });
}

// The same with type and level as their numbers, and no check of the salt (the decoder
// re-encodes what it read with it, to require the canonical encoding).
function encodeCardBodyNumbers(c) {
  return new Writer()
    .string(1, c.chain_id)
    .string(2, c.credential_id)
    .string(3, c.issuer_id)
    .uint(4, c.key_version)
    .uint(5, c.type)
    .uint(6, c.level)
    .string(7, c.holder_name)
    .string(8, c.member_no)
    .bytes(9, c.salt)
    .uint(10, c.valid_from)
    .uint(11, c.valid_until)
    .bytes(12, c.holder_key)
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

// ---- reading cards and checking them at a gate ----------------------------------------------
// What `laurel verify` does before it asks the node anything (ledger/verify.cpp
// CheckCardOffline, types/card.cpp, types/text_rules.cpp): decode the card, check its chain,
// its issuer's key, its signature and its display texts; with the same reasons, in the same
// order, and the same messages. Then POST /v1/verify/status asks the node about the credential
// id and the card digest only (docs/gate.md, "Private online verification").

const CARD_TEXT_MAX = Math.floor((MAX_CARD_BYTES * 3) / 2) + CARD_PREFIX.length + 2;
export const MAX_HOLDER_NAME_CHARS = 64;
export const MAX_MEMBER_NO_CHARS = 32;
const utf8Strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const TYPE_NAMES = ['CREDENTIAL_TYPE_UNSPECIFIED', 'MEMBER', 'MODEL_WORKER'];
const LEVEL_NAMES = ['LEVEL_UNSPECIFIED', 'NATIONAL', 'PROVINCIAL', 'MUNICIPAL', 'DISTRICT', 'ENTERPRISE'];

// A card that cannot be read: `reason` MALFORMED and the message laurel gives.
export class CardError extends Error {
  constructor(message) {
    super(message);
    this.reason = 'MALFORMED';
  }
}

// base45 as common/base45.cpp decodes it, with its messages (offsets in bytes of the text).
function base45DecodeStrict(text) {
  const b = enc.encode(text);
  if (b.length % 3 === 1) {
    throw new CardError(`base45: length ${b.length} leaves a dangling character`);
  }
  const out = [];
  for (let i = 0; i < b.length; i += 3) {
    const chunk = Math.min(3, b.length - i);
    let n = 0;
    let mul = 1;
    for (let j = 0; j < chunk; j++) {
      const v = b[i + j] < 0x80 ? B45.indexOf(String.fromCharCode(b[i + j])) : -1;
      if (v < 0) throw new CardError(`base45: invalid character at offset ${i + j}`);
      n += v * mul;
      mul *= 45;
    }
    if (chunk === 3) {
      if (n > 0xffff) throw new CardError('base45: chunk value out of range');
      out.push(n >> 8, n & 0xff);
    } else {
      if (n > 0xff) throw new CardError('base45: final chunk value out of range');
      out.push(n);
    }
  }
  return Uint8Array.from(out);
}

// The fields of a protobuf message: Map field number → {wire, value} (the last one wins, as
// protobuf parsing does; the canonical check below refuses repeats). Returns null when the
// bytes are not a protobuf encoding.
function readFields(bytes) {
  const fields = new Map();
  let i = 0;
  const varint = () => {
    let n = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (i >= bytes.length) return null;
      const b = bytes[i++];
      n |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return BigInt.asUintN(64, n);
    }
    return null;
  };
  while (i < bytes.length) {
    const key = varint();
    if (key === null || key >> 3n === 0n || key >> 3n > 536870911n) return null;
    const field = Number(key >> 3n);
    const wire = Number(key & 7n);
    let value;
    if (wire === 0) {
      value = varint();
      if (value === null) return null;
    } else if (wire === 2) {
      const len = varint();
      if (len === null || len > BigInt(bytes.length - i)) return null;
      value = bytes.subarray(i, i + Number(len));
      i += Number(len);
    } else if (wire === 1 || wire === 5) {
      const len = wire === 1 ? 8 : 4;
      if (i + len > bytes.length) return null;
      value = null;
      i += len;
    } else {
      return null;  // groups are not laurel's
    }
    fields.set(field, { wire, value });
  }
  return fields;
}

function sameBytes(a, b) {
  return a.length === b.length && a.every((x, k) => x === b[k]);
}

// A laurel.v1.Card's bytes → {body, signature}; types/card.cpp DecodeCard.
export function decodeCard(bytes) {
  if (bytes.length > MAX_CARD_BYTES) throw new CardError('card too large');
  const f = readFields(bytes);
  if (!f) throw new CardError('card: not a valid protobuf encoding');
  const get = (n) => (f.get(n)?.wire === 2 ? f.get(n).value : new Uint8Array(0));
  const body = get(1);
  const signature = get(2);
  if (!sameBytes(encodeCard(body, signature), bytes)) {
    throw new CardError('card: not in canonical encoding (unknown, repeated or out-of-order fields)');
  }
  if (signature.length !== 64) throw new CardError('card: signature must be 64 bytes');
  return { body: Uint8Array.from(body), signature: Uint8Array.from(signature) };
}

// A laurel.v1.CardBody's bytes → its fields (type and level as names, valid_from/valid_until
// as numbers, salt as bytes); types/card.cpp DecodeCardBody.
export function decodeCardBody(bytes) {
  if (bytes.length > MAX_CARD_BYTES) throw new CardError('card body too large');
  const f = readFields(bytes);
  if (!f) throw new CardError('card body: not a valid protobuf encoding');
  const num = (n) => (f.get(n)?.wire === 0 ? f.get(n).value : 0n);
  const raw = (n) => (f.get(n)?.wire === 2 ? f.get(n).value : new Uint8Array(0));
  let strings;
  try {
    strings = [1, 2, 3, 7, 8].map((n) => utf8Strict.decode(raw(n)));
  } catch {
    // proto3 strings must be UTF-8: protobuf refuses to parse them otherwise.
    throw new CardError('card body: not a valid protobuf encoding');
  }
  const [chain_id, credential_id, issuer_id, holder_name, member_no] = strings;
  const type = Number(BigInt.asIntN(32, num(5)));
  const level = Number(BigInt.asIntN(32, num(6)));
  const c = {
    chain_id, credential_id, issuer_id,
    key_version: Number(BigInt.asUintN(32, num(4))),
    type, level, holder_name, member_no,
    salt: Uint8Array.from(raw(9)),
    valid_from: num(10),
    valid_until: num(11),
    holder_key: Uint8Array.from(raw(12)),
  };
  const again = encodeCardBodyNumbers({
    ...c,
    type: BigInt.asUintN(64, BigInt(type)),
    level: BigInt.asUintN(64, BigInt(level)),
  });
  if (!sameBytes(again, bytes)) {
    throw new CardError('card body: not in canonical encoding (unknown, repeated or out-of-order fields)');
  }
  if (type < 0 || type > 2) throw new CardError(`unknown card type value ${type}`);
  if (level < 0 || level > 5) throw new CardError(`unknown card level value ${level}`);
  if (c.salt.length !== CARD_SALT_BYTES) throw new CardError('card body: salt must be 16 bytes');
  if (c.holder_key.length !== 0 && c.holder_key.length !== 32) {
    throw new CardError('card body: holder_key must be 32 bytes');
  }
  return {
    ...c,
    type: TYPE_NAMES[type],
    level: LEVEL_NAMES[level],
    valid_from: Number(c.valid_from) <= Number.MAX_SAFE_INTEGER ? Number(c.valid_from) : c.valid_from,
    valid_until: Number(c.valid_until) <= Number.MAX_SAFE_INTEGER ? Number(c.valid_until) : c.valid_until,
  };
}

// "LC1:…" → {card: {body, signature}, body: decoded CardBody}; types/card.cpp CardFromText.
// Whitespace around the text is ignored, never inside it (the space is a base45 character).
export function decodeCardText(text) {
  const t = String(text).replace(/^[ \t\n\v\f\r]+|[ \t\n\v\f\r]+$/g, '');
  if (enc.encode(t).length > CARD_TEXT_MAX) throw new CardError('card text too long');
  if (!t.startsWith(CARD_PREFIX)) throw new CardError('card text must start with "LC1:"');
  const card = decodeCard(base45DecodeStrict(t.slice(CARD_PREFIX.length)));
  return { card, body: decodeCardBody(card.body) };
}

export function verifyCardSignature(card, publicKey) {
  try {
    return ed.verify(card.signature, concat(CARD_DOMAIN, card.body), publicKey, { zip215: false });
  } catch {
    return false;
  }
}

const codePoint = (cp) => `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;

// The display rules of docs/spec/display-text.md (types/text_rules.cpp CheckDisplayText):
// not empty, no control character, line break or bidirectional control, at most `max`
// characters, in NFC. Returns the problem ("holder name: empty") or null.
export function displayTextProblem(what, s, max) {
  if (s === '') return `${what}: empty`;
  let chars = 0;
  for (const ch of s) {
    chars++;
    const at = `(${codePoint(ch.codePointAt(0))}) at character ${chars}`;
    if (/\p{Cc}/u.test(ch)) return `${what}: contains a control character ${at}`;
    if (/[\p{Zl}\p{Zp}]/u.test(ch)) return `${what}: contains a line break ${at}`;
    if (/\p{Bidi_Control}/u.test(ch)) return `${what}: contains a bidirectional control ${at}`;
  }
  if (max !== 0 && chars > max) return `${what}: ${chars} characters, at most ${max}`;
  if (s.normalize('NFC') !== s) return `${what}: not in Unicode Normalization Form C (NFC)`;
  return null;
}

export function cardDisplayProblem(body) {
  return displayTextProblem('holder name', body.holder_name, MAX_HOLDER_NAME_CHARS) ||
    displayTextProblem('member number', body.member_no, MAX_MEMBER_NO_CHARS);
}

// A card-stated string not yet proven by a signature, for a message (ledger/verify.cpp
// Unproven): printable ASCII kept, every other byte as \xNN, cut at 64 bytes.
function unproven(s) {
  const b = enc.encode(s);
  let out = '';
  for (let i = 0; i < b.length && i < 64; i++) {
    const c = b[i];
    out += c >= 0x20 && c < 0x7f && c !== 0x5c ? String.fromCharCode(c) : `\\x${c.toString(16).padStart(2, '0')}`;
  }
  return b.length > 64 ? `${out}...` : out;
}

// ledger::CheckCardOffline: the card checked against `chainId` and its issuer's keys, before
// the node is asked anything. `keysOf(issuerId)` resolves to a Map key_version → public key
// (32 bytes), or null for an issuer the ledger does not know. Resolves to {reason, message}
// for a refusal (MALFORMED, WRONG_CHAIN, UNKNOWN_ISSUER, BAD_SIGNATURE, UNSAFE_TEXT), else to
// {reason: 'VALID', body, digest}: the card's fields, signed by the issuer and safe to show.
export async function checkCardOffline(chainId, text, keysOf) {
  let card;
  let body;
  try {
    ({ card, body } = decodeCardText(text));
  } catch (err) {
    if (err instanceof CardError) return { reason: 'MALFORMED', message: err.message };
    throw err;
  }
  if (body.chain_id !== chainId) {
    return { reason: 'WRONG_CHAIN', message: `card is for chain '${unproven(body.chain_id)}', this ledger is '${chainId}'` };
  }
  const keys = await keysOf(body.issuer_id);
  if (!keys) {
    return { reason: 'UNKNOWN_ISSUER', message: `issuer '${unproven(body.issuer_id)}' is not on the ledger` };
  }
  const key = keys.get(body.key_version);
  if (!key) {
    return { reason: 'BAD_SIGNATURE', message: `issuer '${body.issuer_id}' has no key version ${body.key_version}` };
  }
  if (!verifyCardSignature(card, key)) {
    return {
      reason: 'BAD_SIGNATURE',
      message: `signature does not verify with key version ${body.key_version} of issuer '${body.issuer_id}'`,
    };
  }
  const problem = cardDisplayProblem(body);
  if (problem) return { reason: 'UNSAFE_TEXT', message: `the card's ${problem}; it is not shown` };
  return { reason: 'VALID', message: '', body, digest: cardDigest(card.body) };
}

// The node's reasons after which VerifyCard compares the card's fields with the record.
const AFTER_RECORD_CHECK = new Set(['OUT_OF_SCOPE', 'REVOKED', 'SUSPENDED', 'ISSUER_SUSPENDED',
  'NOT_YET_VALID', 'EXPIRED', 'VALID']);

// ledger::RecordMismatchOverride: when the node's reason comes after the record check and the
// record (`credential` of the answer, as the API writes it) states type, level, valid_from or
// valid_until differently from the card, the decision is RECORD_MISMATCH. Returns
// {reason, message} or null.
export function recordMismatch(body, nodeReason, credential) {
  if (!AFTER_RECORD_CHECK.has(nodeReason) || !credential || typeof credential !== 'object') return null;
  const known = (names, v) => (names.indexOf(v) > 0 ? v : names[0]);
  const u64 = (v) => {
    try {
      return BigInt(v ?? 0);
    } catch {
      return 0n;
    }
  };
  let field = '';
  if (body.type !== known(TYPE_NAMES, credential.type)) field = 'type';
  else if (body.level !== known(LEVEL_NAMES, credential.level)) field = 'level';
  else if (BigInt(body.valid_from) !== u64(credential.valid_from)) field = 'valid_from';
  else if (BigInt(body.valid_until) !== u64(credential.valid_until)) field = 'valid_until';
  if (!field) return null;
  return { reason: 'RECORD_MISMATCH', message: `the card's ${field} differs from the ledger record's` };
}

// The card's fields as the API's CardView writes them (what POST /v1/verify returns as
// `card`): defaults omitted, 64-bit numbers as strings.
export function cardView(body) {
  const v = {};
  for (const k of ['credential_id', 'issuer_id']) if (body[k]) v[k] = body[k];
  if (body.key_version) v.key_version = body.key_version;
  if (body.type !== TYPE_NAMES[0]) v.type = body.type;
  if (body.level !== LEVEL_NAMES[0]) v.level = body.level;
  for (const k of ['holder_name', 'member_no']) if (body[k]) v[k] = body[k];
  for (const k of ['valid_from', 'valid_until']) if (BigInt(body[k]) !== 0n) v[k] = String(body[k]);
  if (body.chain_id) v.chain_id = body.chain_id;
  if (body.holder_key && body.holder_key.length) v.holder_key = toHex(body.holder_key);
  return v;
}

// ---- Holder binding (docs/spec/holder.md; types/presentation.h, ledger::CheckHolder) --------

const PRESENTATION_DOMAIN = enc.encode('laurel/presentation/v1\0');
export const PRESENTATION_PREFIX = 'LP1:';
export const SLOT_SECONDS = 30;

// {credential_id, gate_id, nonce (Uint8Array, 8..32) | slot (number)} → body bytes.
export function encodePresentationBody(p) {
  const id = enc.encode(p.credential_id);
  const gate = enc.encode(p.gate_id);
  if (id.length < 1 || id.length > 128) throw new CardError('presentation: credential id must be 1 to 128 bytes');
  if (gate.length < 1 || gate.length > 64) throw new CardError('presentation: gate id must be 1 to 64 bytes');
  const parts = [Uint8Array.of(1, p.nonce ? 1 : 2, id.length), id, Uint8Array.of(gate.length), gate];
  if (p.nonce) {
    if (p.nonce.length < 8 || p.nonce.length > 32) throw new CardError('presentation: nonce must be 8 to 32 bytes');
    parts.push(Uint8Array.of(p.nonce.length), p.nonce);
  } else {
    const slot = new Uint8Array(8);
    new DataView(slot.buffer).setBigUint64(0, BigInt(p.slot));
    parts.push(slot);
  }
  return concat(...parts);
}

// The device's presentation "LP1:…" of a card, signed with the device key's seed.
export function makePresentation(p, seed) {
  const body = encodePresentationBody(p);
  return PRESENTATION_PREFIX + base45Encode(concat(body, ed.sign(concat(PRESENTATION_DOMAIN, body), seed)));
}

// "LP1:…" → {credential_id, gate_id, nonce | slot, body, signature}; throws CardError.
export function decodePresentationText(text) {
  const t = String(text).replace(/^[ \t\n\v\f\r]+|[ \t\n\v\f\r]+$/g, '');
  if (!t.startsWith(PRESENTATION_PREFIX)) throw new CardError('presentation text must start with "LP1:"');
  const b = base45DecodeStrict(t.slice(PRESENTATION_PREFIX.length));
  const truncated = () => new CardError('presentation: truncated');
  if (b.length < 2) throw truncated();
  if (b[0] !== 1) throw new CardError(`presentation: unknown version ${b[0]}`);
  if (b[1] !== 1 && b[1] !== 2) throw new CardError(`presentation: unknown challenge kind ${b[1]}`);
  let at = 2;
  const take = () => {
    if (at >= b.length) throw truncated();
    const n = b[at++];
    if (b.length - at < n) throw truncated();
    const out = b.slice(at, at + n);
    at += n;
    return out;
  };
  const out = { credential_id: utf8Lossless(take()), gate_id: utf8Lossless(take()) };
  if (b[1] === 1) {
    out.nonce = take();
  } else {
    if (b.length - at < 8) throw truncated();
    out.slot = new DataView(b.buffer, b.byteOffset + at, 8).getBigUint64(0);
    at += 8;
  }
  encodePresentationBody({ ...out, credential_id: out.credential_id.text, gate_id: out.gate_id.text });
  if (b.length - at !== 64) throw new CardError('presentation: the signature must be the last 64 bytes');
  out.body = b.slice(0, at);
  out.signature = b.slice(at);
  return out;
}

function utf8Lossless(bytes) {
  return { bytes, text: new TextDecoder('utf-8').decode(bytes) };
}

// ledger::CheckHolder: null when the holder check passes, else {reason, message}. `body` is a
// decoded CardBody whose signature verified; `policy` {gate_id, nonce (Uint8Array),
// slot_skew (default 1), require_binding ['MODEL_WORKER', …]}.
export function checkHolder(body, presentationText, policy, nowS) {
  const bound = body.holder_key && body.holder_key.length === 32;
  if (!bound) {
    if ((policy.require_binding || []).includes(body.type)) {
      return { reason: 'BINDING_REQUIRED', message: `this gate accepts ${body.type} cards only when bound to the holder's phone; this card is not bound / 此闸机只受理绑定手机的此类卡，此卡未绑定` };
    }
    return null;
  }
  if (!presentationText) {
    return { reason: 'PRESENTATION_MISSING', message: "the card is bound to the holder's phone: show the phone's presentation code too / 此卡已绑定手机，请同时出示手机生成的出示码" };
  }
  let p;
  try {
    p = decodePresentationText(presentationText);
  } catch (err) {
    if (!(err instanceof CardError)) throw err;
    return { reason: 'BAD_HOLDER_SIGNATURE', message: `the presentation cannot be read (${err.message}) / 出示码无法读取` };
  }
  if (!sameBytes(p.credential_id.bytes, enc.encode(body.credential_id))) {
    return { reason: 'BAD_HOLDER_SIGNATURE', message: `the presentation is for another card ('${unproven(p.credential_id.text)}') / 出示码不属于此卡` };
  }
  let ok = false;
  try {
    ok = ed.verify(p.signature, concat(PRESENTATION_DOMAIN, p.body), body.holder_key, { zip215: false });
  } catch {
    ok = false;
  }
  if (!ok) {
    return { reason: 'BAD_HOLDER_SIGNATURE', message: 'the presentation is not signed by the phone the card is bound to / 出示码签名与此卡绑定的手机不符' };
  }
  const gate = policy.gate_id || '';
  if (!gate || !sameBytes(p.gate_id.bytes, enc.encode(gate))) {
    return { reason: 'PRESENTATION_EXPIRED', message: `the presentation was made for gate '${unproven(p.gate_id.text)}', not ${gate ? `'${gate}'` : 'this gate (which has no gate id)'} / 出示码不是为本闸机生成的，请重新生成` };
  }
  if (p.nonce) {
    if (!policy.nonce || !sameBytes(policy.nonce, p.nonce)) {
      return { reason: 'PRESENTATION_EXPIRED', message: "the presentation answers a challenge that is not this gate's current one / 出示码对应的挑战码不是本闸机当前的，请重新生成" };
    }
    return null;
  }
  const now = BigInt(Math.floor(nowS / SLOT_SECONDS));
  const diff = p.slot > now ? p.slot - now : now - p.slot;
  const skew = BigInt(policy.slot_skew ?? 1);
  if (diff > skew) {
    const when = new Date(Number(p.slot) * SLOT_SECONDS * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
    return { reason: 'PRESENTATION_EXPIRED', message: `the presentation is of ${when}, ${diff * 30n} s from now (${skew * 30n} s allowed): a copy, or the phone's clock is wrong / 出示码已过期，请刷新` };
  }
  return null;
}

// An issuer's keys from its GET /v1/issuers/{id} answer: Map key_version → public key.
export function issuerKeys(issuer) {
  const keys = new Map();
  for (const k of issuer?.keys || []) {
    const pub = fromHex(String(k.public_key ?? ''));
    if (!Number.isInteger(k.key_version) || pub.length !== 32) throw new Error('the node answered an issuer with a malformed key');
    keys.set(k.key_version, pub);
  }
  return keys;
}

// The private check of cli/cmd_query.cpp (CheckPrivately) over `api(path, {method, body})`
// (resolves to the answer's JSON; rejects with an error whose `status` is the HTTP status):
// GET /v1/status for the chain id, GET /v1/issuers/{id} for the keys (cached in `cache`, a
// Map, when given), POST /v1/verify/status with {credential_id, card_digest, issuer_id,
// key_version} only. Resolves to a VerifyResponse like POST /v1/verify's, with `card` (the
// card's own fields) only when its signature verified and its texts are safe to show.
export async function verifyPrivately(text, api, cache = null, holder = {}) {
  const status = await api('/v1/status');
  const chainId = status.chain_id || '';
  const keysOf = async (id) => {
    const fetchKeys = async () => {
      try {
        return issuerKeys(await api(`/v1/issuers/${encodeURIComponent(id)}`));
      } catch (err) {
        if (err && err.status === 404) return null;
        throw err;
      }
    };
    if (!cache) return fetchKeys();
    // A cached issuer is asked again for a key version it did not have (a rotation since).
    let keys = cache.get(id);
    if (keys === undefined) {
      keys = await fetchKeys();
      cache.set(id, keys);
    }
    return keys;
  };
  let check = await checkCardOffline(chainId, text, keysOf);
  if (cache && (check.reason === 'UNKNOWN_ISSUER' || /has no key version/.test(check.message))) {
    cache.clear();
    check = await checkCardOffline(chainId, text, keysOf);
  }
  if (check.reason !== 'VALID') {
    return {
      valid: false, reason: check.reason, message: check.message,
      height: status.height ?? '0', time: String(Math.floor(Date.now() / 1000)), chain_id: chainId,
      ready: status.ready ?? false, block_time_ms: status.last_block_time_ms ?? '0',
    };
  }
  const b = check.body;
  const answer = await api('/v1/verify/status', {
    method: 'POST',
    body: { credential_id: b.credential_id, card_digest: toHex(check.digest), issuer_id: b.issuer_id, key_version: b.key_version },
  });
  if (!answer || typeof answer.valid !== 'boolean' || typeof answer.reason !== 'string') {
    throw new Error('the node answered /v1/verify/status without a valid and a reason');
  }
  const over = recordMismatch(b, answer.reason, answer.credential);
  if (over) Object.assign(answer, { valid: false, reason: over.reason, message: over.message });
  answer.card = cardView(b);
  // Holder binding is the gate's check, as in `laurel verify` (the node never sees it).
  answer.holder = b.holder_key && b.holder_key.length ? 'BOUND' : 'UNBOUND';
  if (answer.valid) {
    const refusal = checkHolder(b, holder.presentation || '', holder, Number(answer.time) || Math.floor(Date.now() / 1000));
    if (refusal) Object.assign(answer, { valid: false, ...refusal });
  }
  return answer;
}
