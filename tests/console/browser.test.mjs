// The web console in a real browser (Debian's Chromium driven by playwright-core) against a
// running testnet whose node serves the console: explorer navigation and search, a card issued
// in the issuer console and verified on the gate page from the QR code of its printable card,
// the same card revoked and refused; the issuer's key is never sent; labels, language switch
// and a phone-sized screen; the gate page's camera (Chromium's fake camera playing a video of the
// card's QR code); an encrypted key file opened with its passphrase. Screenshots go to
// LAUREL_SHOTS. Started by tests/integration/test_console.py, which sets:
//   LAUREL_URL (a node serving the console), LAUREL_ISSUER_KEY (city-fed's key file),
//   LAUREL_SHOTS (screenshot folder), LAUREL_CHROMIUM (default /usr/bin/chromium),
//   LAUREL_CONSOLE_DIR (the built console, for its codec), LAUREL_WORK (a scratch folder).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { ROOT } from './openapi_lib.mjs';

const require = createRequire(join(ROOT, 'console', 'package.json'));
const { chromium } = require('playwright-core');
const qrcode = require('qrcode-generator');
const WORK = process.env.LAUREL_WORK || mkdtempSync(join(tmpdir(), 'laurel-browser-'));
const CONSOLE_DIR = process.env.LAUREL_CONSOLE_DIR || join(ROOT, 'build', 'console-dist');

const BASE = process.env.LAUREL_URL;
const KEY_FILE = process.env.LAUREL_ISSUER_KEY;
const SHOTS = process.env.LAUREL_SHOTS || join(ROOT, 'build', 'console-screenshots');
const CHROMIUM = process.env.LAUREL_CHROMIUM || '/usr/bin/chromium';
assert.ok(BASE && KEY_FILE, 'LAUREL_URL and LAUREL_ISSUER_KEY must be set');
mkdirSync(SHOTS, { recursive: true });
const seedHex = JSON.parse(readFileSync(KEY_FILE, 'utf8')).seed;
const seedB64 = Buffer.from(seedHex, 'hex').toString('base64');

let browser;
let context;
const sent = [];        // every request body the pages sent
const pageErrors = [];  // uncaught errors and console errors of the pages
let credentialId = null;
let cardText = null;

// A Y4M video (what Chromium's fake camera plays, looping) of `text` as a QR code: 640×480,
// 4:2:0, a few frames of black modules on white, as a phone held still over a card.
function qrVideo(text, path) {
  const qr = qrcode(0, 'M');
  qr.addData(text, 'Alphanumeric');
  qr.make();
  const n = qr.getModuleCount();
  const W = 640;
  const H = 480;
  const scale = Math.floor((H - 40) / (n + 8));
  const x0 = Math.floor((W - n * scale) / 2);
  const y0 = Math.floor((H - n * scale) / 2);
  const y = Buffer.alloc(W * H, 235);  // white (video range)
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      if (!qr.isDark(r, c)) continue;
      for (let dy = 0; dy < scale; dy++) y.fill(16, (y0 + r * scale + dy) * W + x0 + c * scale, (y0 + r * scale + dy) * W + x0 + (c + 1) * scale);
    }
  }
  const chroma = Buffer.alloc((W / 2) * (H / 2) * 2, 128);
  const frames = [Buffer.from(`YUV4MPEG2 W${W} H${H} F10:1 Ip A1:1 C420jpeg\n`)];
  for (let i = 0; i < 10; i++) frames.push(Buffer.from('FRAME\n'), y, chroma);
  writeFileSync(path, Buffer.concat(frames));
  return { modules: n, scale };
}

async function newPage(lang = 'en', viewport = { width: 1280, height: 900 }) {
  const page = await context.newPage();
  await page.setViewportSize(viewport);
  // The page's language at its first load; the page's own switch decides after that.
  await page.addInitScript((l) => {
    if (!sessionStorage.getItem('laurel.test.lang')) {
      localStorage.setItem('laurel.lang', l);
      sessionStorage.setItem('laurel.test.lang', l);
    }
  }, lang);
  page.on('pageerror', (e) => pageErrors.push(`${page.url()}: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') pageErrors.push(`${page.url()}: ${m.text()}`); });
  page.on('request', (r) => { const b = r.postData(); if (b) sent.push(b); });
  return page;
}

async function shot(page, name, target) {
  await (target || page).screenshot({ path: join(SHOTS, `${name}.png`), fullPage: !target });
}

// Every form control has a label the accessibility tree reads.
async function assertLabelled(page) {
  const unlabelled = await page.$$eval('input, select, textarea, button', (els) => els
    .filter((e) => e.type !== 'hidden' && !e.closest('[hidden]'))
    .filter((e) => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.textContent.trim())
    .map((e) => e.outerHTML.slice(0, 80)));
  assert.deepEqual(unlabelled, []);
}

async function loadKey(page) {
  await page.fill('#issuer-id', 'city-fed');
  await page.setInputFiles('#key-file', KEY_FILE);
  await page.click('#key-form button[type=submit]');
  await page.waitForSelector('#key-msg.ok', { timeout: 15000 });
}

// Every request a page makes to the node's API: {method, path, body}.
function recordApi(page) {
  const seen = [];
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.pathname.startsWith('/v1/')) seen.push({ method: r.method(), path: u.pathname, body: r.postData() || '' });
  });
  return seen;
}

// The gate page checks privately (docs/gate.md): never POST /v1/verify, never a card text or
// the holder's name or member number in a request; when the card's signature verified, one
// POST /v1/verify/status with the credential id, digest, issuer and key version only.
function assertPrivate(requests, { asked = true } = {}) {
  assert.deepEqual(requests.filter((r) => r.path === '/v1/verify'), [], 'the gate sent the card to /v1/verify');
  for (const r of requests) {
    assert.ok(!r.body.includes('LC1:') && !r.body.includes('王芳') && !r.body.includes('QD-00042'),
      `${r.method} ${r.path} carried card fields: ${r.body}`);
  }
  const posts = requests.filter((r) => r.method === 'POST');
  if (!asked) {
    assert.deepEqual(posts, []);
    return;
  }
  assert.deepEqual(posts.map((r) => r.path), ['/v1/verify/status']);
  const body = JSON.parse(posts[0].body);
  assert.deepEqual(Object.keys(body).sort(), ['card_digest', 'credential_id', 'issuer_id', 'key_version']);
  assert.equal(body.credential_id, credentialId);
  assert.equal(body.issuer_id, 'city-fed');
  assert.match(body.card_digest, /^[0-9a-f]{64}$/);
  assert.ok(requests.some((r) => r.method === 'GET' && r.path === '/v1/issuers/city-fed'), 'no issuer key fetched');
}

async function gateCheck(page, qrPng) {
  await page.goto(`${BASE}/console/gate.html`);
  await page.waitForSelector('body[data-ready="1"]');
  const requests = recordApi(page);
  await page.setInputFiles('#photo', qrPng);
  await page.waitForSelector('#verdict', { timeout: 20000 });
  return {
    valid: await page.getAttribute('#verdict', 'data-valid'),
    reason: await page.getAttribute('#reason', 'data-reason'),
    text: await page.textContent('#decision'),
    requests,
  };
}

before(async () => {
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
  context = await browser.newContext({ locale: 'en-GB' });
});

after(async () => {
  if (browser) await browser.close();
});

test('explorer: status, latest blocks, a block, search, an issuer, the language switch', async () => {
  const page = await newPage('en');
  const res = await page.goto(`${BASE}/`);
  assert.equal(res.status(), 200);
  assert.match(page.url(), /\/console\/index\.html$/);
  await page.waitForFunction(() => Number(document.querySelector('#height')?.textContent) >= 2);
  assert.equal(await page.textContent('h1'), 'Chain explorer');
  await page.waitForSelector('#view table tbody tr');
  await assertLabelled(page);
  await shot(page, 'explorer');

  // Live: the height shown moves as blocks commit.
  const h0 = Number(await page.textContent('#height'));
  await page.waitForFunction((h) => Number(document.querySelector('#height').textContent) > h, h0, { timeout: 20000 });

  // Block 1 (genesis issuers are in the genesis state; block 1 exists on any running chain).
  await page.fill('#q', '1');
  await page.press('#q', 'Enter');
  await page.waitForSelector('#view h2:text("Block 1")');
  assert.match(page.url(), /#block\/1$/);
  await page.click('a[rel=next]');
  await page.waitForSelector('#view h2:text("Block 2")');
  await page.goBack();
  await page.waitForSelector('#view h2:text("Block 1")');
  await shot(page, 'explorer-block');

  // An issuer by search: keys, history; then the unknown id case.
  await page.fill('#q', 'city-fed');
  await page.press('#q', 'Enter');
  await page.waitForSelector('#view h2:text("Issuer city-fed")');
  assert.match(await page.textContent('#view'), /current/);
  await shot(page, 'explorer-issuer');
  await page.fill('#q', 'no-such-union');
  await page.press('#q', 'Enter');
  await page.waitForSelector('#view .error');
  assert.match(await page.textContent('#view .error'), /Not found/);
  await page.fill('#q', 'not an id!');
  await page.press('#q', 'Enter');
  assert.match(await page.textContent('#search-msg'), /Not an id/);

  // 中文
  await page.click('#lang-switch');
  assert.equal(await page.textContent('h1'), '区块链浏览器');
  assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
  await page.goto(`${BASE}/console/index.html`);
  await page.waitForSelector('#view table tbody tr');
  assert.equal(await page.textContent('h1'), '区块链浏览器');
  await shot(page, 'explorer-zh');
  await page.close();
});

test('issuer console: a card issued and printed, signed in the browser', async () => {
  const page = await newPage('zh');
  await page.goto(`${BASE}/console/issuer.html`);
  await page.waitForSelector('body[data-ready="1"]');
  await assertLabelled(page);
  // Without a key nothing is signed.
  await page.fill('#holder', '王芳');
  await page.fill('#member-no', 'QD-00042');
  await page.click('#issue-form button[type=submit]');
  assert.equal(await page.textContent('#issue-msg'), '请先载入单位密钥。');

  await loadKey(page);
  await page.selectOption('#type', 'MODEL_WORKER');
  await page.selectOption('#level', 'MUNICIPAL');
  await page.click('#issue-form button[type=submit]');
  await page.waitForSelector('#issue-msg.ok', { timeout: 30000 });
  const text = await page.inputValue('#card-out');
  assert.match(text, /^LC1:[0-9A-Z $%*+\-./:]+$/);
  cardText = text;
  const msg = await page.textContent('#issue-msg');
  credentialId = /已发放 (\S+)，/.exec(msg)[1];
  assert.match(credentialId, /^city-fed\/MW\/\d{4}\/\d{6}$/);
  const card = page.locator('#printable-card');
  assert.match(await card.textContent(), /王芳/);
  assert.match(await card.textContent(), /劳动模范 Model worker/);
  assert.match(await card.textContent(), /市级 Municipal/);
  // CR80: 85.6 mm × 54 mm at 96 px/in.
  const box = await card.boundingBox();
  assert.ok(Math.abs(box.width - 323.5) < 2 && Math.abs(box.height - 204.1) < 2, JSON.stringify(box));
  await shot(page, 'card', card);
  await page.locator('.card-qr').screenshot({ path: join(SHOTS, 'card-qr.png') });
  await page.waitForSelector('#cards table tbody tr');
  assert.match(await page.textContent('#cards'), new RegExp(credentialId.replace(/\//g, '\\/')));
  await shot(page, 'issuer');

  // The card as printed: only the card, on a CR80 page.
  await page.emulateMedia({ media: 'print' });
  assert.equal(await page.isVisible('header.site'), false);
  assert.equal(await page.isVisible('#printable-card'), true);
  await page.emulateMedia({ media: 'screen' });

  // The ledger holds what the page signed.
  const rec = await (await fetch(`${BASE}/v1/credentials/${encodeURIComponent(credentialId)}`)).json();
  assert.equal(rec.status, 'ACTIVE');
  assert.equal(rec.type, 'MODEL_WORKER');
  assert.equal(rec.level, 'MUNICIPAL');
  const v = await (await fetch(`${BASE}/v1/verify`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ code: text }) })).json();
  assert.equal(v.reason, 'VALID');
  assert.equal(v.card.holder_name, '王芳');
  await page.close();
});

test('gate: the printed card\'s QR code is VALID', async () => {
  assert.ok(credentialId, 'needs the card of the previous test');
  const page = await newPage('en');
  await assertLabelled(await (async () => { await page.goto(`${BASE}/console/gate.html`); return page; })());
  const d = await gateCheck(page, join(SHOTS, 'card-qr.png'));
  assert.equal(d.valid, '1');
  assert.equal(d.reason, 'VALID');
  assert.match(d.text, /王芳/);
  assert.match(d.text, /Model worker/);
  assertPrivate(d.requests);
  console.log(`gate (valid): ${d.requests.map((r) => `${r.method} ${r.path}`).join(', ')}`);
  await shot(page, 'gate-valid');
  // A picture without a QR code is said so.
  const noQr = join(SHOTS, 'card-qr.png').replace('card-qr', 'explorer');
  await page.goto(`${BASE}/console/gate.html`);
  await page.setInputFiles('#photo', noQr);
  await page.waitForSelector('#reason[data-reason="NO_QR"]', { timeout: 20000 });
  // Pasted text that is not a card: refused in the page, nothing asked about it.
  const pasted = recordApi(page);
  await page.fill('#card-text', 'LC1:NOT A CARD');
  await page.click('#text-form button[type=submit]');
  await page.waitForSelector('#verdict[data-valid="0"]');
  assert.equal(await page.getAttribute('#reason', 'data-reason'), 'MALFORMED');
  assert.match(await page.textContent('#decision'), /base45: length 10 leaves a dangling character/);
  assertPrivate(pasted, { asked: false });
  // The card with one character of the holder's name changed, signature kept: BAD_SIGNATURE,
  // and the forged name is not shown.
  const codec = await import(pathToFileURL(join(CONSOLE_DIR, 'codec.js')).href);
  const { card, body } = codec.decodeCardText(cardText);
  const forgedBody = codec.encodeCardBody({ ...body, holder_name: '王芬' });
  const forged = codec.cardText(codec.encodeCard(forgedBody, card.signature));
  const tampered = recordApi(page);
  await page.click('#decision button');
  await page.waitForSelector('#decision', { state: 'hidden' });
  await page.fill('#card-text', forged);
  await page.click('#text-form button[type=submit]');
  await page.waitForSelector('#verdict[data-valid="0"]');
  assert.equal(await page.getAttribute('#reason', 'data-reason'), 'BAD_SIGNATURE');
  const shown = await page.textContent('#decision');
  assert.match(shown, /Bad signature/);
  assert.doesNotMatch(shown, /王芬/);
  assertPrivate(tampered, { asked: false });
  await page.close();
});

test('gate: the camera reads the card\'s QR code and shows the decision', async () => {
  assert.ok(cardText, 'needs the card of the issuer test');
  const video = join(WORK, 'card-qr.y4m');
  const q = qrVideo(cardText, video);
  // A browser of its own: the fake camera is chosen at launch.
  const cam = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${video}`],
  });
  try {
    const ctx = await cam.newContext({ locale: 'en-GB' });
    await ctx.grantPermissions(['camera'], { origin: new URL(BASE).origin });
    const page = await ctx.newPage();
    const requests = recordApi(page);
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${BASE}/console/gate.html`);
    await page.waitForSelector('body[data-ready="1"]');
    await page.click('#camera');
    await page.waitForSelector('#verdict', { timeout: 30000 });
    assert.equal(await page.getAttribute('#verdict', 'data-valid'), '1', await page.textContent('#decision'));
    assert.equal(await page.getAttribute('#reason', 'data-reason'), 'VALID');
    assert.match(await page.textContent('#decision'), /王芳/);
    assertPrivate(requests);
    // The camera is released once a code is read.
    assert.equal(await page.isHidden('#video'), true);
    assert.equal(await page.textContent('#camera'), 'Scan with the camera');
    await shot(page, 'gate-camera');
    assert.deepEqual(errors, []);
    console.log(`camera: QR of ${q.modules} modules at ${q.scale} px each, read and verified`);
  } finally {
    await cam.close();
  }
});

test('issuer console: an encrypted key file opens with its passphrase only', async () => {
  const codec = await import(pathToFileURL(join(CONSOLE_DIR, 'codec.js')).href);
  const encFile = join(WORK, 'city-fed.enc.key');
  const passphrase = '工会 2026 passphrase';
  writeFileSync(encFile, await codec.sealKeyFile(Buffer.from(seedHex, 'hex'), passphrase), { mode: 0o600 });
  const page = await newPage('en');
  await page.goto(`${BASE}/console/issuer.html`);
  await page.waitForSelector('body[data-ready="1"]');
  await page.fill('#issuer-id', 'city-fed');
  await page.setInputFiles('#key-file', encFile);
  // No passphrase: said so, nothing loaded.
  await page.click('#key-form button[type=submit]');
  await page.waitForSelector('#key-msg.error');
  assert.equal(await page.textContent('#key-msg'), 'This key file is encrypted: enter its passphrase');
  // A wrong one: said so, nothing loaded, nothing signed.
  await page.fill('#key-pass', 'not the passphrase');
  await page.click('#key-form button[type=submit]');
  await page.waitForFunction(() => /Wrong passphrase/.test(document.querySelector('#key-msg').textContent), null, { timeout: 30000 });
  assert.equal(await page.getAttribute('#key-msg', 'class'), 'error');
  assert.equal(await page.inputValue('#key-pass'), '');
  const before = sent.length;
  await page.fill('#holder', 'Nobody');
  await page.fill('#member-no', 'X-1');
  await page.click('#issue-form button[type=submit]');
  assert.equal(await page.textContent('#issue-msg'), 'Load the issuer key first.');
  assert.equal(sent.length, before, 'a request was sent without a key');
  await shot(page, 'issuer-wrong-passphrase');
  // The right one.
  await page.setInputFiles('#key-file', encFile);
  await page.fill('#key-pass', passphrase);
  await page.click('#key-form button[type=submit]');
  await page.waitForSelector('#key-msg.ok', { timeout: 30000 });
  assert.match(await page.textContent('#key-msg'), /Key of city-fed loaded/);
  assert.equal(await page.inputValue('#key-pass'), '');
  await page.close();
});

test('issuer console: revoke; the gate refuses the card', async () => {
  assert.ok(credentialId, 'needs the card of the previous tests');
  const page = await newPage('en');
  await page.goto(`${BASE}/console/issuer.html`);
  await page.waitForSelector('body[data-ready="1"]');
  await loadKey(page);
  await page.fill('#m-id', credentialId);
  await page.fill('#m-reason', 'left the union 已离会');
  page.once('dialog', (d) => d.accept());
  await page.click('#status-form button[value=REVOKED]');
  await page.waitForSelector('#manage-msg.ok', { timeout: 30000 });
  assert.match(await page.textContent('#manage-msg'), /result OK/);
  await shot(page, 'issuer-revoked');
  await page.close();

  const gate = await newPage('zh', { width: 390, height: 844 });
  const d = await gateCheck(gate, join(SHOTS, 'card-qr.png'));
  assert.equal(d.valid, '0');
  assert.equal(d.reason, 'REVOKED');
  assert.match(d.text, /拒绝/);
  assert.match(d.text, /凭证已吊销/);
  assert.match(d.text, /王芳/);
  assertPrivate(d.requests);
  // Usable on a phone: nothing wider than the screen.
  assert.ok(await gate.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth));
  await shot(gate, 'gate-refused-phone');
  await gate.close();

  const ex = await newPage('en');
  await ex.goto(`${BASE}/console/index.html#credential/${encodeURIComponent(credentialId)}`);
  await ex.waitForSelector('#view .badge.REVOKED');
  assert.equal(await ex.locator('#view table tbody tr').count(), 2);
  await shot(ex, 'explorer-credential');
  // Its revocation: the transaction, then the block that holds it.
  await ex.locator('#view table tbody tr').nth(1).locator('td').nth(4).locator('a').click();
  await ex.waitForSelector('#view h2:text("Transaction")');
  const txView = await ex.textContent('#view');
  assert.match(txView, /Set credential status/);
  assert.match(txView, /REVOKED/);
  assert.match(txView, /left the union/);
  await ex.locator('#view dd a[href*="#block/"]').first().click();
  await ex.waitForFunction(() => /^Block \d+$/.test(document.querySelector('#view h2')?.textContent || ''));
  assert.match(await ex.textContent('#view table'), /Set credential status/);
  await ex.close();
});

test('holder page: a presentation signed in the browser opens the gate for the bound card', async () => {
  const bound = process.env.LAUREL_BOUND_CARD;
  const deviceKey = process.env.LAUREL_DEVICE_KEY;
  assert.ok(bound && deviceKey, 'LAUREL_BOUND_CARD and LAUREL_DEVICE_KEY must be set');
  const page = await newPage('en');
  await page.goto(`${BASE}/console/holder.html`);
  await page.waitForSelector('body[data-ready="1"]');
  await assertLabelled(page);
  // The unbound card of the issuer test is refused by the holder page itself.
  await page.fill('#ho-card', cardText);
  await page.setInputFiles('#ho-key', deviceKey);
  await page.fill('#ho-gate', 'console');
  await page.click('#present-form button[type=submit]');
  await page.waitForSelector('#ho-msg.error', { timeout: 15000 });
  assert.equal(await page.isHidden('#ho-out'), true);
  // The bound card: a presentation for gate "console" in the current 30-second slot.
  await page.fill('#ho-card', bound);
  await page.click('#present-form button[type=submit]');
  await page.waitForSelector('#ho-msg.ok', { timeout: 15000 });
  const lp1 = await page.inputValue('#ho-text');
  assert.match(lp1, /^LP1:[0-9A-Z $%*+\-./:]+$/);
  assert.ok(await page.$('#ho-qr svg'), 'no QR code of the presentation');
  await shot(page, 'holder-presentation');
  if (process.env.LAUREL_PRESENTATION_OUT) writeFileSync(process.env.LAUREL_PRESENTATION_OUT, lp1);
  await page.close();

  const gate = await newPage('en');
  await gate.goto(`${BASE}/console/gate.html`);
  const decide = async (card, presentation, gateId = 'console') => {
    await gate.fill('#gate-id', gateId);
    await gate.fill('#card-text', card);
    await gate.fill('#presentation-text', presentation);
    await gate.click('#text-form button[type=submit]');
    await gate.waitForSelector('#verdict');
    const reason = await gate.getAttribute('#reason', 'data-reason');
    const text = await gate.textContent('#decision');
    await gate.click('#decision button');
    await gate.waitForSelector('#decision', { state: 'hidden' });
    return { reason, text };
  };
  const ok = await decide(bound, lp1);
  assert.equal(ok.reason, 'VALID');
  assert.match(ok.text, /韩梅梅/);
  assert.equal((await decide(bound, '')).reason, 'PRESENTATION_MISSING');
  assert.equal((await decide(bound, lp1, 'SHA-HQ-01')).reason, 'PRESENTATION_EXPIRED');
  // One signature character changed: BAD_HOLDER_SIGNATURE.
  const last = lp1.at(-1) === '0' ? '1' : '0';
  assert.equal((await decide(bound, lp1.slice(0, -1) + last)).reason, 'BAD_HOLDER_SIGNATURE');
  await gate.close();
  // The device key's seed never left the browser.
  const deviceSeed = JSON.parse(readFileSync(deviceKey, 'utf8')).seed;
  for (const body of sent) {
    assert.ok(!body.includes(deviceSeed), 'the device key was sent');
    assert.ok(!body.includes(Buffer.from(deviceSeed, 'hex').toString('base64')), 'the device key was sent');
  }
});

test('the issuer key never left the browser, and no page had an error', () => {
  assert.ok(sent.length >= 3, `only ${sent.length} request bodies seen`);
  for (const body of sent) {
    assert.ok(!body.toLowerCase().includes(seedHex) && !body.includes(seedB64), 'a request carried the key seed');
  }
  assert.deepEqual(pageErrors.filter((e) => !/Failed to load resource.*404/.test(e)), []);
});
