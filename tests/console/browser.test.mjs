// The web console in a real browser (Debian's Chromium driven by playwright-core) against a
// running testnet whose node serves the console: explorer navigation and search, a card issued
// in the issuer console and verified on the gate page from the QR code of its printable card,
// the same card revoked and refused; the issuer's key is never sent; labels, language switch
// and a phone-sized screen. Screenshots go to LAUREL_SHOTS.
// Started by tests/integration/test_console.py, which sets:
//   LAUREL_URL (a node serving the console), LAUREL_ISSUER_KEY (city-fed's key file),
//   LAUREL_SHOTS (screenshot folder), LAUREL_CHROMIUM (default /usr/bin/chromium).
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ROOT } from './openapi_lib.mjs';

const require = createRequire(join(ROOT, 'console', 'package.json'));
const { chromium } = require('playwright-core');

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

async function gateCheck(page, qrPng) {
  await page.goto(`${BASE}/console/gate.html`);
  await page.waitForSelector('body[data-ready="1"]');
  await page.setInputFiles('#photo', qrPng);
  await page.waitForSelector('#verdict', { timeout: 20000 });
  return {
    valid: await page.getAttribute('#verdict', 'data-valid'),
    reason: await page.getAttribute('#reason', 'data-reason'),
    text: await page.textContent('#decision'),
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
  await shot(page, 'gate-valid');
  // A picture without a QR code is said so.
  const noQr = join(SHOTS, 'card-qr.png').replace('card-qr', 'explorer');
  await page.goto(`${BASE}/console/gate.html`);
  await page.setInputFiles('#photo', noQr);
  await page.waitForSelector('#reason[data-reason="NO_QR"]', { timeout: 20000 });
  // Pasted text that is not a card.
  await page.fill('#card-text', 'LC1:NOT A CARD');
  await page.click('#text-form button[type=submit]');
  await page.waitForSelector('#verdict[data-valid="0"]');
  assert.equal(await page.getAttribute('#reason', 'data-reason'), 'MALFORMED');
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

test('the issuer key never left the browser, and no page had an error', () => {
  assert.ok(sent.length >= 3, `only ${sent.length} request bodies seen`);
  for (const body of sent) {
    assert.ok(!body.toLowerCase().includes(seedHex) && !body.includes(seedB64), 'a request carried the key seed');
  }
  assert.deepEqual(pageErrors.filter((e) => !/Failed to load resource.*404/.test(e)), []);
});
