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
