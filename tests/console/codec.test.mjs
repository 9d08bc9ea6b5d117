// The console's codec (console/src/codec.js, as built with its bundled libraries) produces
// byte for byte the golden vectors of docs/spec/signing.md: card body, card signature, digest,
// card text, transaction body, id, signature and wire Tx. Run by ctest as console_codec:
//   LAUREL_CONSOLE_DIR=build/console-dist node --test tests/console/codec.test.mjs
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import test from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const consoleDir = resolve(process.env.LAUREL_CONSOLE_DIR || join(here, '..', '..', 'build', 'console-dist'));
const c = await import(pathToFileURL(join(consoleDir, 'codec.js')).href);
const golden = JSON.parse(readFileSync(join(here, '..', 'data', 'golden', 'signing.json'), 'utf8'));
const seq = (from, n) => Uint8Array.from({ length: n }, (_, i) => from + i);
const seed = c.fromHex(golden.key.seed);

test('the golden key gives the golden public key', () => {
  assert.equal(c.toHex(c.publicKeyOf(seed)), golden.key.public_key);
});

const cardFields = {
  chain_id: 'laurel-golden', credential_id: 'golden-fed/MW/2024/000001', issuer_id: 'golden-fed',
  key_version: 1, type: 'MODEL_WORKER', level: 'MUNICIPAL', holder_name: 'Holder One',
  member_no: 'M-000001', salt: seq(0x40, 16), valid_from: 1704067200, valid_until: 1861920000,
};

test('a card is the golden card: body, signature, digest, wire bytes, LC1 text', () => {
  const card = c.makeCard(cardFields, seed);
  assert.equal(c.toHex(card.body), golden.card.body);
  assert.equal(c.toHex(c.signCardBody(card.body, seed)), golden.card.signature);
  assert.equal(c.toHex(card.digest), golden.card.digest);
  assert.equal(c.toHex(card.card), golden.card.card);
  assert.equal(card.text, golden.card.lc1);
});

test('an issue_credential transaction is the golden one', () => {
  const digest = c.fromHex(golden.card.digest);
  const tx = c.makeTx({
    chain_id: 'laurel-golden', nonce: seq(0xb0, 16), expires_at_height: 1000,
    issue_credential: {
      credential_id: 'golden-fed/MW/2024/000001', issuer_id: 'golden-fed', type: 'MODEL_WORKER',
      level: 'MUNICIPAL', card_digest: digest, valid_from: 1704067200, valid_until: 1861920000,
    },
  }, seed);
  assert.equal(c.toHex(tx.body), golden.issue_credential.body);
  assert.equal(tx.tx_id, golden.issue_credential.tx_id);
  assert.equal(c.toHex(c.signTxBody(tx.body, seed)), golden.issue_credential.signature);
  assert.equal(c.toHex(tx.tx), golden.issue_credential.tx);
  assert.ok(c.verifyTxSignature(tx.body, c.signTxBody(tx.body, seed), c.publicKeyOf(seed)));
});

test('defaults are omitted and a member card carries no level', () => {
  const body = c.encodeCardBody({ ...cardFields, type: 'MEMBER', level: '', holder_name: '王芳' });
  // field 6 (level) absent: tag 0x30 never follows the type field 5 (0x28 0x01)
  const hex = c.toHex(body);
  assert.ok(hex.includes('2801'));
  assert.ok(!hex.includes('280130'));
  // UTF-8 holder name, length-prefixed: 6 bytes
  assert.ok(hex.includes('3a06' + c.toHex(new TextEncoder().encode('王芳'))));
});

test('base45 round-trips and refuses what RFC 9285 refuses', () => {
  for (const n of [0, 1, 2, 3, 17, 256]) {
    const b = seq(0, n).map((x) => (x * 37) & 0xff);
    assert.deepEqual(c.base45Decode(c.base45Encode(b)), b);
  }
  assert.equal(c.base45Encode(new TextEncoder().encode('AB')), 'BB8');
  assert.equal(c.base45Encode(new TextEncoder().encode('ietf!')), 'QED8WEX0');
  assert.throws(() => c.base45Decode('A'), /dangling/);
  assert.throws(() => c.base45Decode('GGW'), /above 65535/);
  assert.throws(() => c.base45Decode('ab'), /base45/);
});

test('bad input is refused with a message', () => {
  assert.throws(() => c.encodeCardBody({ ...cardFields, salt: seq(0, 15) }), /salt/);
  assert.throws(() => c.encodeCardBody({ ...cardFields, type: 'BOSS' }), /unknown credential type/);
  assert.throws(() => c.encodeTxBody({ chain_id: 'x', nonce: seq(0, 4), set_credential_status: {} }), /nonce/);
  assert.throws(() => c.encodeTxBody({ chain_id: 'x', nonce: seq(0, 16) }), /unsupported/);
  assert.throws(() => c.parseKeyFile('nope'), /not JSON/);
  assert.throws(() => c.parseKeyFile('{"ciphertext": "00"}'), /encrypted/);
  assert.throws(() => c.parseKeyFile(JSON.stringify({ type: 'x', public_key: '00'.repeat(32), seed: golden.key.seed })), /does not give/);
  const k = c.parseKeyFile(JSON.stringify({ type: 'laurel-ed25519', public_key: golden.key.public_key, seed: golden.key.seed }));
  assert.equal(k.publicKeyHex, golden.key.public_key);
});

// ---- encrypted key files: the console and the CLI open each other's -------------------------
// LAUREL_BIN (the build's bin folder) gives the `laurel` CLI.
const laurel = join(resolve(process.env.LAUREL_BIN || join(here, '..', '..', 'build', 'bin')), 'laurel');
const passphrase = '工会 passphrase 2026';

function scratch() {
  return mkdtempSync(join(tmpdir(), 'laurel-keys-'));
}

test('a key file encrypted by `laurel keygen` opens in the console with its passphrase only', async () => {
  const dir = scratch();
  try {
    writeFileSync(join(dir, 'pass'), passphrase, { mode: 0o600 });
    const pub = execFileSync(laurel, ['keygen', '--out', join(dir, 'k.key'), '--passphrase-file', join(dir, 'pass')])
      .toString().trim();
    const text = readFileSync(join(dir, 'k.key'), 'utf8');
    assert.ok(c.keyFileIsEncrypted(text));
    assert.throws(() => c.parseKeyFile(text), (e) => e.code === 'PASSPHRASE_NEEDED');
    await assert.rejects(c.openKeyFile(text, ''), (e) => e.code === 'PASSPHRASE_NEEDED');
    await assert.rejects(c.openKeyFile(text, 'wrong'), (e) => e.code === 'WRONG_PASSPHRASE' && /wrong passphrase/.test(e.message));
    const k = await c.openKeyFile(text, passphrase);
    assert.equal(k.publicKeyHex, pub);
    // A damaged file is refused, not half-read.
    const j = JSON.parse(text);
    await assert.rejects(c.openKeyFile(JSON.stringify({ ...j, memlimit: 1 << 31 }), passphrase), (e) => e.code === 'BAD_KEY_FILE');
    await assert.rejects(c.openKeyFile(JSON.stringify({ ...j, nonce: '00' }), passphrase), (e) => e.code === 'BAD_KEY_FILE');
    const flipped = j.ciphertext.slice(0, -2) + (j.ciphertext.endsWith('00') ? '01' : '00');
    await assert.rejects(c.openKeyFile(JSON.stringify({ ...j, ciphertext: flipped }), passphrase), (e) => e.code === 'WRONG_PASSPHRASE');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a key file encrypted by the console signs with `laurel tx sign` and its passphrase only', async () => {
  const dir = scratch();
  try {
    const text = await c.sealKeyFile(seed, passphrase);
    assert.deepEqual(Object.keys(JSON.parse(text)).sort(),
      ['ciphertext', 'kdf', 'memlimit', 'nonce', 'opslimit', 'public_key', 'salt', 'type']);
    writeFileSync(join(dir, 'k.key'), text, { mode: 0o600 });
    writeFileSync(join(dir, 'pass'), passphrase, { mode: 0o600 });
    writeFileSync(join(dir, 'bad'), 'not it', { mode: 0o600 });
    const body = JSON.stringify({ chain_id: 'laurel-local', set_credential_status: { credential_id: 'a/1', status: 'SUSPENDED' } });
    const built = execFileSync(laurel, ['tx', 'build', '--in', '-', '--out', '-'], { input: body, stdio: ['pipe', 'pipe', 'pipe'] });
    const signed = JSON.parse(execFileSync(laurel, ['tx', 'sign', '--in', '-', '--out', '-', '--key', join(dir, 'k.key'),
      '--passphrase-file', join(dir, 'pass')], { input: built, stdio: ['pipe', 'pipe', 'pipe'] }).toString());
    assert.equal(Buffer.from(signed.signatures[0].public_key, 'base64').toString('hex'), golden.key.public_key);
    const wrong = spawnSync(laurel, ['tx', 'sign', '--in', '-', '--out', '-', '--key', join(dir, 'k.key'),
      '--passphrase-file', join(dir, 'bad')], { input: built });
    assert.notEqual(wrong.status, 0);
    assert.match(wrong.stderr.toString(), /wrong passphrase/);
    assert.equal(wrong.stdout.length, 0);
    // And the console opens its own file again.
    assert.equal((await c.openKeyFile(text, passphrase)).publicKeyHex, golden.key.public_key);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// ---- reading and checking cards at the gate (the private check of docs/gate.md) -------------
// The gate page decodes the card and checks its signature and texts itself, with the reasons
// and messages of ledger/verify.cpp (CheckCardOffline, RecordMismatchOverride).

const goldenKeys = new Map([[1, c.fromHex(golden.key.public_key)]]);
const keysOf = (id) => async (asked) => (asked === id ? goldenKeys : null);

// The `laurel card inspect` of a card text: {json} on success, {error} (the CLI's message) else.
function inspect(text, extra = []) {
  const r = spawnSync(laurel, ['card', 'inspect', '--json', ...extra, text]);
  // With --issuer-key and a bad signature it prints the fields and exits 1.
  if (r.stdout.length) return { json: JSON.parse(r.stdout.toString()), status: r.status };
  const m = r.stderr.toString().match(/malformed card: (.*)/);
  return { error: m ? m[1].trim() : r.stderr.toString().trim(), status: r.status };
}

// A card signed with the golden key from `fields` (no check of the display rules: a forger's).
function signed(fields) {
  return c.makeCard({ ...cardFields, ...fields }, seed);
}

test('the golden card (made by the C++ code) decodes to the fields `laurel card inspect` shows', () => {
  const d = c.decodeCardText(golden.card.lc1);
  const cli = inspect(golden.card.lc1, ['--issuer-key', golden.key.public_key]).json;
  for (const k of ['chain_id', 'credential_id', 'issuer_id', 'key_version', 'type', 'level',
    'holder_name', 'member_no', 'valid_from', 'valid_until']) {
    assert.deepEqual(d.body[k], cli[k], k);
  }
  assert.equal(c.toHex(d.body.salt), cli.salt);
  assert.equal(c.toHex(d.card.signature), cli.signature);
  assert.equal(c.toHex(c.cardDigest(d.card.body)), cli.card_digest);
  assert.equal(cli.signature_valid, true);
  assert.ok(c.verifyCardSignature(d.card, goldenKeys.get(1)));
  // Whitespace around the text is ignored, as the CLI and the node do.
  assert.deepEqual(c.decodeCardText(`  ${golden.card.lc1}\r\n`).body, d.body);
});

test('a Chinese card made in the console decodes back and passes the offline check', async () => {
  const card = signed({ holder_name: '王芳', member_no: '工-000123', type: 'MEMBER', level: '' });
  const cli = inspect(card.text).json;
  assert.equal(cli.holder_name, '王芳');
  const d = c.decodeCardText(card.text).body;
  assert.equal(d.holder_name, '王芳');
  assert.equal(d.member_no, '工-000123');
  assert.equal(d.type, 'MEMBER');
  assert.equal(d.level, 'LEVEL_UNSPECIFIED');
  const r = await c.checkCardOffline('laurel-golden', card.text, keysOf('golden-fed'));
  assert.equal(r.reason, 'VALID');
  assert.equal(c.toHex(r.digest), c.toHex(card.digest));
  assert.deepEqual(c.cardView(r.body), {
    credential_id: 'golden-fed/MW/2024/000001', issuer_id: 'golden-fed', key_version: 1, type: 'MEMBER',
    holder_name: '王芳', member_no: '工-000123', valid_from: '1704067200', valid_until: '1861920000',
    chain_id: 'laurel-golden',
  });
});

test('cards that are not cards are MALFORMED with the message of the CLI', async () => {
  const good = c.decodeCardText(golden.card.lc1).card;
  const reencode = (bytes) => c.cardText(bytes);
  const bodyWith = (extra) => c.encodeCard(c.concat(good.body, extra), good.signature);
  const texts = {
    'no prefix': 'LC2:ABC',
    'dangling base45': 'LC1:ABCD',
    'base45 out of range': 'LC1:GGW',
    'final chunk out of range': 'LC1:AB',
    'not base45': 'LC1:ab',
    'non-ASCII': 'LC1:王芳',
    'not a protobuf': reencode(Uint8Array.of(0x0a, 0x05, 1)),
    'short signature': reencode(c.encodeCard(good.body, good.signature.subarray(0, 63))),
    'unknown card field': reencode(c.concat(c.encodeCard(good.body, good.signature), Uint8Array.of(0x18, 1))),
    'fields out of order': reencode(c.concat(new Uint8Array([0x12, 64]), good.signature, new Uint8Array([0x0a, good.body.length]), good.body)),
    'unknown body field': reencode(bodyWith(Uint8Array.of(0x60, 1))),
    'bad body varint': reencode(bodyWith(Uint8Array.of(0x50, 0x80))),
    'too long': `LC1:${'0'.repeat(3100)}`,
    'empty': 'LC1:',
  };
  const withType = (n) => {
    const body = c.fromHex(golden.card.body);
    const i = body.indexOf(0x28);  // type field, 2 = MODEL_WORKER
    const b = Uint8Array.from(body);
    b[i + 1] = n;
    return reencode(c.encodeCard(b, good.signature));
  };
  texts['type 7'] = withType(7);
  for (const [what, text] of Object.entries(texts)) {
    const cli = inspect(text);
    assert.ok(cli.error, `${what}: the CLI read it`);
    let js;
    try {
      c.decodeCardText(text);
    } catch (err) {
      js = err;
    }
    assert.ok(js instanceof c.CardError, `${what}: decoded`);
    assert.equal(js.message, cli.error, what);
    const r = await c.checkCardOffline('laurel-golden', text, keysOf('golden-fed'));
    assert.deepEqual(r, { reason: 'MALFORMED', message: cli.error }, what);
  }
});

test('a tampered card is BAD_SIGNATURE, and its fields are not given', async () => {
  const good = c.decodeCardText(golden.card.lc1);
  // The holder name changed, the issuer's signature kept.
  const body = c.encodeCardBody({ ...cardFields, holder_name: 'Holder Two' });
  const forged = c.cardText(c.encodeCard(body, good.card.signature));
  const cli = inspect(forged, ['--issuer-key', golden.key.public_key]);
  assert.equal(cli.json.signature_valid, false);
  assert.equal(cli.status, 1);
  const r = await c.checkCardOffline('laurel-golden', forged, keysOf('golden-fed'));
  assert.deepEqual(r, { reason: 'BAD_SIGNATURE', message: "signature does not verify with key version 1 of issuer 'golden-fed'" });
  // Signed by another key.
  const other = c.makeCard(cardFields, seq(0x80, 32));
  assert.equal((await c.checkCardOffline('laurel-golden', other.text, keysOf('golden-fed'))).reason, 'BAD_SIGNATURE');
  // A key version the issuer does not have.
  const v2 = signed({ key_version: 2 });
  assert.deepEqual(await c.checkCardOffline('laurel-golden', v2.text, keysOf('golden-fed')),
    { reason: 'BAD_SIGNATURE', message: "issuer 'golden-fed' has no key version 2" });
  // And the gate's full check never asks the node about it.
  const asked = [];
  const api = fakeApi(asked, {});
  const v = await c.verifyPrivately(forged, api);
  assert.equal(v.valid, false);
  assert.equal(v.reason, 'BAD_SIGNATURE');
  assert.equal(v.card, undefined);
  assert.deepEqual(asked.map((a) => a.path), ['/v1/status', '/v1/issuers/golden-fed']);
});

test('wrong chain and unknown issuer come before the signature, with unproven text escaped', async () => {
  const r = await c.checkCardOffline('laurel-local', golden.card.lc1, keysOf('golden-fed'));
  assert.deepEqual(r, { reason: 'WRONG_CHAIN', message: "card is for chain 'laurel-golden', this ledger is 'laurel-local'" });
  const odd = signed({ chain_id: '链\\x' });
  assert.equal((await c.checkCardOffline('laurel-golden', odd.text, keysOf('golden-fed'))).message,
    "card is for chain '\\xe9\\x93\\xbe\\x5cx', this ledger is 'laurel-golden'");
  const u = await c.checkCardOffline('laurel-golden', golden.card.lc1, keysOf('someone-else'));
  assert.deepEqual(u, { reason: 'UNKNOWN_ISSUER', message: "issuer 'golden-fed' is not on the ledger" });
});

test('unsafe display text is UNSAFE_TEXT after the signature, and not shown', async () => {
  const cases = [
    [{ holder_name: 'Ali\u202Ece' }, "the card's holder name: contains a bidirectional control (U+202E) at character 4; it is not shown"],
    [{ holder_name: '王\u0007芳' }, "the card's holder name: contains a control character (U+0007) at character 2; it is not shown"],
    [{ holder_name: 'a\u2028b' }, "the card's holder name: contains a line break (U+2028) at character 2; it is not shown"],
    [{ holder_name: 'Jose\u0301' }, "the card's holder name: not in Unicode Normalization Form C (NFC); it is not shown"],
    [{ holder_name: '王'.repeat(65) }, "the card's holder name: 65 characters, at most 64; it is not shown"],
    [{ member_no: '' }, "the card's member number: empty; it is not shown"],
    [{ member_no: 'M\u200F1' }, "the card's member number: contains a bidirectional control (U+200F) at character 2; it is not shown"],
    [{ member_no: '1'.repeat(33) }, "the card's member number: 33 characters, at most 32; it is not shown"],
  ];
  for (const [fields, message] of cases) {
    const card = signed(fields);
    const r = await c.checkCardOffline('laurel-golden', card.text, keysOf('golden-fed'));
    assert.deepEqual(r, { reason: 'UNSAFE_TEXT', message }, JSON.stringify(fields));
    const v = await c.verifyPrivately(card.text, fakeApi([], {}));
    assert.equal(v.reason, 'UNSAFE_TEXT');
    assert.equal(v.card, undefined);
  }
  // NFC, 64 characters and a Chinese name with a middle dot are fine.
  for (const name of ['José', '王'.repeat(64), '阿卜杜·热合曼']) {
    assert.equal((await c.checkCardOffline('laurel-golden', signed({ holder_name: name }).text, keysOf('golden-fed'))).reason, 'VALID', name);
  }
  // The signature is checked first: a forged card with unsafe text is BAD_SIGNATURE.
  const body = c.encodeCardBody({ ...cardFields, holder_name: 'Ali\u202Ece' });
  const forged = c.cardText(c.encodeCard(body, c.decodeCardText(golden.card.lc1).card.signature));
  assert.equal((await c.checkCardOffline('laurel-golden', forged, keysOf('golden-fed'))).reason, 'BAD_SIGNATURE');
});

// A node for verifyPrivately: records every call; `status` is the POST /v1/verify/status answer.
function fakeApi(asked, { status = null, credential = null }) {
  return async (path, opts = {}) => {
    asked.push({ path, method: opts.method || 'GET', body: opts.body });
    if (path === '/v1/status') return { chain_id: 'laurel-golden', height: '42', ready: true, last_block_time_ms: '1' };
    if (path === '/v1/issuers/golden-fed') return { issuer_id: 'golden-fed', keys: [{ key_version: 1, public_key: golden.key.public_key }] };
    if (path.startsWith('/v1/issuers/')) throw Object.assign(new Error('NOT_FOUND'), { status: 404 });
    if (path === '/v1/verify/status') return { height: '42', credential, ...status };
    throw new Error(`unexpected ${path}`);
  };
}

const record = {
  credential_id: 'golden-fed/MW/2024/000001', type: 'MODEL_WORKER', level: 'MUNICIPAL', issuer_id: 'golden-fed',
  key_version: 1, card_digest: golden.card.digest, valid_from: '1704067200', valid_until: '1861920000', status: 'ACTIVE',
};

test('the node is asked only the credential id, the digest, the issuer and the key version', async () => {
  const asked = [];
  const v = await c.verifyPrivately(`${golden.card.lc1}\n`, fakeApi(asked, {
    status: { valid: true, reason: 'VALID', message: 'valid until 2029-01-01T00:00:00Z' }, credential: record,
  }));
  assert.equal(v.valid, true);
  assert.equal(v.reason, 'VALID');
  assert.equal(v.card.holder_name, 'Holder One');
  const posts = asked.filter((a) => a.method === 'POST');
  assert.deepEqual(posts, [{
    path: '/v1/verify/status', method: 'POST',
    body: { credential_id: 'golden-fed/MW/2024/000001', card_digest: golden.card.digest, issuer_id: 'golden-fed', key_version: 1 },
  }]);
  assert.ok(!JSON.stringify(asked).includes('Holder One'));
  assert.ok(!JSON.stringify(asked).includes('M-000001'));
  // Keys are cached per page: a second card asks for the status and verify/status only.
  const cache = new Map();
  const again = [];
  const api = fakeApi(again, { status: { valid: true, reason: 'VALID', message: '' }, credential: record });
  await c.verifyPrivately(golden.card.lc1, api, cache);
  await c.verifyPrivately(golden.card.lc1, api, cache);
  assert.equal(again.filter((a) => a.path.startsWith('/v1/issuers/')).length, 1);
});

test('RECORD_MISMATCH when the record differs from the card, after the node\'s record checks', async () => {
  const body = c.decodeCardText(golden.card.lc1).body;
  assert.equal(c.recordMismatch(body, 'VALID', record), null);
  assert.deepEqual(c.recordMismatch(body, 'VALID', { ...record, level: 'NATIONAL' }),
    { reason: 'RECORD_MISMATCH', message: "the card's level differs from the ledger record's" });
  assert.deepEqual(c.recordMismatch(body, 'REVOKED', { ...record, type: 'MEMBER', valid_until: '1' }),
    { reason: 'RECORD_MISMATCH', message: "the card's type differs from the ledger record's" });
  assert.deepEqual(c.recordMismatch(body, 'EXPIRED', { ...record, valid_until: '1' }),
    { reason: 'RECORD_MISMATCH', message: "the card's valid_until differs from the ledger record's" });
  // Decided before the fields are compared: the node's reason stands.
  for (const r of ['NOT_ON_LEDGER', 'DIGEST_MISMATCH', 'BAD_SIGNATURE', 'UNKNOWN_ISSUER']) {
    assert.equal(c.recordMismatch(body, r, { ...record, level: 'NATIONAL' }), null, r);
  }
  const v = await c.verifyPrivately(golden.card.lc1, fakeApi([], {
    status: { valid: true, reason: 'VALID', message: 'valid until …' }, credential: { ...record, valid_from: '1' },
  }));
  assert.equal(v.valid, false);
  assert.equal(v.reason, 'RECORD_MISMATCH');
  assert.equal(v.message, "the card's valid_from differs from the ledger record's");
});

// Holder binding (docs/spec/holder.md): the golden vectors of tests/data/golden/holder.json.
const holderGolden = JSON.parse(readFileSync(join(here, '..', 'data', 'golden', 'holder.json'), 'utf8'));

test('holder binding: the bound golden card and presentations are made byte for byte', () => {
  const device = c.fromHex(holderGolden.device_key.seed);
  assert.equal(c.toHex(c.publicKeyOf(device)), holderGolden.device_key.public_key);
  const card = c.makeCard({ ...cardFields, holder_key: c.fromHex(holderGolden.device_key.public_key) }, seed);
  assert.equal(c.toHex(card.body), holderGolden.bound_card.body);
  assert.equal(card.text, holderGolden.bound_card.lc1);
  const base = { credential_id: cardFields.credential_id, gate_id: 'PEK-T3-G12' };
  assert.equal(c.makePresentation({ ...base, slot: Math.floor(1735689615 / 30) }, device),
    holderGolden.slot_presentation.lp1);
  assert.equal(c.makePresentation({ ...base, nonce: seq(0xc0, 16) }, device),
    holderGolden.nonce_presentation.lp1);
  // The unbound golden card is unchanged and decodes with no key.
  assert.equal(c.decodeCardText(golden.card.lc1).body.holder_key.length, 0);
});

test('holder binding: the console gate answers the reasons of ledger::CheckHolder', () => {
  const body = c.decodeCardText(holderGolden.bound_card.lc1).body;
  const slotText = holderGolden.slot_presentation.lp1;
  const now = 1735689615;
  const gate = { gate_id: 'PEK-T3-G12' };
  assert.equal(c.checkHolder(body, slotText, gate, now), null);
  assert.equal(c.checkHolder(body, slotText, gate, now + 30), null);
  assert.equal(c.checkHolder(body, slotText, gate, now + 300).reason, 'PRESENTATION_EXPIRED');
  assert.equal(c.checkHolder(body, slotText, { gate_id: 'OTHER' }, now).reason, 'PRESENTATION_EXPIRED');
  assert.equal(c.checkHolder(body, '', gate, now).reason, 'PRESENTATION_MISSING');
  assert.equal(c.checkHolder(body, 'LP1:%%', gate, now).reason, 'BAD_HOLDER_SIGNATURE');
  const raw = c.base45Decode(slotText.slice(4));
  raw[raw.length - 5] ^= 1;
  assert.equal(c.checkHolder(body, `LP1:${c.base45Encode(raw)}`, gate, now).reason, 'BAD_HOLDER_SIGNATURE');
  const nonceText = holderGolden.nonce_presentation.lp1;
  assert.equal(c.checkHolder(body, nonceText, { ...gate, nonce: seq(0xc0, 16) }, now), null);
  assert.equal(c.checkHolder(body, nonceText, { ...gate, nonce: seq(0xc1, 16) }, now).reason, 'PRESENTATION_EXPIRED');
  const unbound = c.decodeCardText(golden.card.lc1).body;
  assert.equal(c.checkHolder(unbound, '', gate, now), null);
  assert.equal(c.checkHolder(unbound, '', { ...gate, require_binding: ['MODEL_WORKER'] }, now).reason, 'BINDING_REQUIRED');
});
