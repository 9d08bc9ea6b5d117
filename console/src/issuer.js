// Issuer console: an issuer's key file is read into this page (never stored, never sent), and
// every transaction and card is built and signed here (codec.js: the bytes of the CLI) before
// it goes to POST /v1/txs?wait=commit. Issue a card and print it (CR80), list the issuer's
// cards, suspend / reinstate / revoke, renew.
import {
  api, clear, el, enc, errorBox, fmtDate, initPage, links, t, table, tEnum,
} from './common.js';
import { TEXT_TABLE } from './i18n.js';
import { keyFileIsEncrypted, makeCard, makeTx, openKeyFile } from './codec.js';
import { qrcode } from './vendor.js';

const EXPIRES_IN = 1000;       // blocks, as the CLI's --expires-in default
const COMMIT_WAIT_MS = 20000;
const MAX_CARDS_LISTED = 50;

let signer = null;  // {issuerId, seed, publicKeyHex, keyVersion, record}
let lastCard = null;

const $ = (id) => document.getElementById(id);

function say(id, text, kind = '') {
  const p = $(id);
  p.className = kind;
  p.textContent = text;
}

function sayError(id, err) {
  clear($(id), errorBox(err));
}

// ---- dates -------------------------------------------------------------------------------------

function isoDay(d) {
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

// A date input as unix seconds (00:00 UTC of that day); today means now, so that a card issued
// today is valid at once whatever the time zone.
function dateToUnix(value) {
  if (value === isoDay(new Date())) return Math.floor(Date.now() / 1000);
  return Math.floor(Date.parse(`${value}T00:00:00Z`) / 1000);
}

function defaultDates(fromId, untilId) {
  const now = new Date();
  $(fromId).value = isoDay(now);
  const later = new Date(now);
  later.setFullYear(now.getFullYear() + 3);
  $(untilId).value = isoDay(later);
}

// ---- key ---------------------------------------------------------------------------------------

function readFile(file) {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(String(r.result));
    r.onerror = () => reject(r.error);
    r.readAsText(file);
  });
}

function fillTypes() {
  const type = $('type');
  const grants = signer ? signer.record.grants || [] : [];
  const keep = type.value;
  clear(type, grants.map((g) => el('option', { value: g.type }, tEnum('type', g.type))));
  if (keep && grants.some((g) => g.type === keep)) type.value = keep;
  fillLevels();
}

function fillLevels() {
  const level = $('level');
  const grant = signer && (signer.record.grants || []).find((g) => g.type === $('type').value);
  const levels = grant && grant.levels ? grant.levels : [];
  const keep = level.value;
  clear(level, levels.map((l) => el('option', { value: l }, tEnum('level', l))));
  level.disabled = levels.length === 0;
  if (keep && levels.includes(keep)) level.value = keep;
}

$('type').addEventListener('change', fillLevels);

$('key-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const issuerId = $('issuer-id').value.trim();
  const file = $('key-file').files[0];
  const pass = $('key-pass');
  let keepFile = false;
  signer = null;
  try {
    const text = await readFile(file);
    const encrypted = keyFileIsEncrypted(text);
    if (encrypted && !pass.value) {
      say('key-msg', t('is.key.need_passphrase'), 'error');
      keepFile = true;  // the same file, once the passphrase is typed
      pass.focus();
      return;
    }
    if (encrypted) say('key-msg', t('is.key.opening'));
    let key;
    try {
      key = await openKeyFile(text, pass.value);
    } catch (err) {
      if (err.code === 'WRONG_PASSPHRASE') say('key-msg', t('is.key.wrong_passphrase'), 'error');
      else if (err.code === 'PASSPHRASE_NEEDED') say('key-msg', t('is.key.need_passphrase'), 'error');
      else say('key-msg', t('is.key.bad_file', { msg: err.message }), 'error');
      return;
    }
    const record = await api(`/v1/issuers/${enc(issuerId)}`);
    const k = (record.keys || []).find((x) => x.public_key === key.publicKeyHex);
    if (!k || String(k.to_height) !== '0') {
      key.seed.fill(0);
      say('key-msg', t('is.key.not_issuer_key', { issuer: issuerId }), 'error');
      return;
    }
    signer = { issuerId, seed: key.seed, publicKeyHex: key.publicKeyHex, keyVersion: k.key_version, record };
    say('key-msg', t('is.key.loaded', { issuer: issuerId, v: k.key_version, pub: key.publicKeyHex }), 'ok');
    $('forget').hidden = false;
    fillTypes();
    listCards();
  } catch (err) {
    sayError('key-msg', err);
  } finally {
    if (!keepFile) $('key-file').value = '';  // the page keeps the parsed key only
    pass.value = '';
  }
});

$('forget').addEventListener('click', () => {
  if (signer) signer.seed.fill(0);
  signer = null;
  $('forget').hidden = true;
  say('key-msg', '');
  fillTypes();
  clear($('cards'));
});

function needSigner(msgId) {
  if (signer) return true;
  say(msgId, t('is.need_key'), 'error');
  return false;
}

// ---- transactions ------------------------------------------------------------------------------

// Signs the action in this page and submits it; resolves to the committed TxStatusView.
async function submit(action) {
  const status = await api('/v1/status');
  const tx = makeTx({
    chain_id: status.chain_id,
    expires_at_height: Number(status.height) + EXPIRES_IN,
    ...action,
  }, signer.seed);
  const answer = await api(`/v1/txs?wait=commit&timeout_ms=${COMMIT_WAIT_MS}`, { method: 'POST', body: tx.json });
  return { status, answer, tx_id: tx.tx_id };
}

function cardFields(status, fields) {
  return {
    chain_id: status.chain_id,
    issuer_id: signer.issuerId,
    key_version: signer.keyVersion,
    ...fields,
  };
}

$('issue-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  if (!needSigner('issue-msg')) return;
  const type = $('type').value;
  const level = type === 'MODEL_WORKER' ? $('level').value : '';
  // The display-text rules of docs/spec/display-text.md: NFC, no control, line-separator or
  // bidi characters, at most 64 (name) and 32 (member number) characters.
  const holder = $('holder').value.trim().normalize('NFC');
  const memberNo = $('member-no').value.trim().normalize('NFC');
  const from = dateToUnix($('from').value);
  const until = dateToUnix($('until').value);
  if (!holder || !memberNo) {
    say('issue-msg', t('is.required', { what: `${t('is.issue.holder')}, ${t('is.issue.member_no')}` }), 'error');
    return;
  }
  const unsafe = /[\p{Cc}\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;
  if (unsafe.test(holder) || unsafe.test(memberNo) || [...holder].length > 64 ||
      [...memberNo].length > 32) {
    say('issue-msg', t('reason.UNSAFE_TEXT'), 'error');
    return;
  }
  if (!(until > from)) {
    say('issue-msg', t('is.bad_dates'), 'error');
    return;
  }
  const year = new Date().getUTCFullYear();
  const digits = String(crypto.getRandomValues(new Uint32Array(1))[0] % 1000000).padStart(6, '0');
  const id = $('cred-id').value.trim() ||
    `${signer.issuerId}/${type === 'MODEL_WORKER' ? 'MW' : 'M'}/${year}/${digits}`;
  say('issue-msg', t('is.submitting'));
  try {
    const status = await api('/v1/status');
    const card = makeCard(cardFields(status, {
      credential_id: id, type, level, holder_name: holder, member_no: memberNo,
      valid_from: from, valid_until: until,
    }), signer.seed);
    const r = await submit({
      issue_credential: {
        credential_id: id, issuer_id: signer.issuerId, type, level, card_digest: card.digest,
        valid_from: from, valid_until: until,
      },
    });
    if (r.answer.result && r.answer.result !== 'OK') throw new Error(`${r.answer.result}`);
    say('issue-msg', t('is.issue.done', { id, tx: r.tx_id.slice(0, 12), h: r.answer.height }), 'ok');
    showCard({ id, type, level, holder, memberNo, from, until, text: card.text });
    $('cred-id').value = '';
    listCards();
  } catch (err) {
    sayError('issue-msg', err);
  }
});

// ---- the printable card -------------------------------------------------------------------------

function qrSvg(text) {
  const qr = qrcode(0, 'M');
  qr.addData(text, 'Alphanumeric');
  qr.make();
  const n = qr.getModuleCount();
  const quiet = 2;
  let d = '';
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) if (qr.isDark(r, c)) d += `M${c + quiet} ${r + quiet}h1v1h-1z`;
  }
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', `0 0 ${n + 2 * quiet} ${n + 2 * quiet}`);
  svg.setAttribute('role', 'img');
  svg.setAttribute('shape-rendering', 'crispEdges');
  const bg = document.createElementNS(ns, 'rect');
  bg.setAttribute('width', '100%');
  bg.setAttribute('height', '100%');
  bg.setAttribute('fill', '#fff');
  const path = document.createElementNS(ns, 'path');
  path.setAttribute('d', d);
  path.setAttribute('fill', '#000');
  svg.append(bg, path);
  return svg;
}

// Both languages on the card itself: it is read by whoever stands at the gate.
const both = (key) => (TEXT_TABLE[key] ? `${TEXT_TABLE[key][0]} ${TEXT_TABLE[key][1]}` : '');

function showCard(c) {
  lastCard = c;
  const svg = qrSvg(c.text);
  svg.setAttribute('aria-label', c.id);
  const card = el('div', { class: 'card', id: 'printable-card', 'data-card-text': c.text },
    el('div', { class: 'card-head' },
      el('span', {}, signer ? signer.record.name : c.id.split('/')[0]),
      el('span', {}, both('is.card.title'))),
    el('div', { class: 'card-body' },
      el('p', { class: 'card-name' }, c.holder),
      el('p', {}, both(`type.${c.type}`)),
      c.type === 'MODEL_WORKER' ? el('p', {}, both(`level.${c.level}`)) : null,
      el('p', {}, `No. ${c.memberNo}`),
      el('p', {}, `${fmtDate(c.from)} – ${fmtDate(c.until)}`)),
    el('div', { class: 'card-qr' }, svg),
    el('div', { class: 'card-foot' }, c.id));
  clear($('card-sheet'), card);
  $('card-out').value = c.text;
  $('print-section').hidden = false;
}

$('print').addEventListener('click', () => window.print());
$('copy').addEventListener('click', async () => {
  if (lastCard && navigator.clipboard) await navigator.clipboard.writeText(lastCard.text).catch(() => {});
  $('card-out').select();
});

// ---- the issuer's cards ------------------------------------------------------------------------

async function listCards() {
  if (!signer) return;
  const box = $('cards');
  clear(box, el('p', { class: 'muted' }, t('common.loading')));
  try {
    const entries = [];
    let token = '';
    do {
      const page = await api(`/v1/issuers/${enc(signer.issuerId)}/history?limit=1000${token ? `&page_token=${token}` : ''}`);
      entries.push(...page.entries);
      token = page.next_page_token;
    } while (token);
    const issued = entries.filter((e) => e.action === 'issue_credential' && e.result === 'OK')
      .slice(-MAX_CARDS_LISTED).reverse();
    const blocks = new Map();
    const ids = [];
    for (const e of issued) {
      if (!blocks.has(e.height)) blocks.set(e.height, await api(`/v1/blocks/${e.height}`));
      const tx = (blocks.get(e.height).txs || []).find((x) => x.tx_id === e.tx_id);
      const id = tx && tx.decoded_body && tx.decoded_body.issue_credential
        ? tx.decoded_body.issue_credential.credential_id : null;
      if (id) ids.push(id);
    }
    const records = await Promise.all(ids.map((id) => api(`/v1/credentials/${enc(id)}`).catch(() => null)));
    const rows = records.filter(Boolean).map((c) => [
      links.credential(c.credential_id), tEnum('type', c.type), tEnum('level', c.level),
      el('span', { class: `badge ${c.status}` }, tEnum('status', c.status)), fmtDate(c.valid_until),
      el('button', {
        type: 'button', class: 'secondary',
        'aria-label': `${t('is.manage.heading')}: ${c.credential_id}`,
        onclick: () => {
          $('m-id').value = c.credential_id;
          $('r-id').value = c.credential_id;
          $('m-reason').focus();
        },
      }, t('common.action')),
    ]);
    clear(box, rows.length
      ? table([t('gate.credential'), t('common.type'), t('common.level'), t('common.status'),
        t('common.valid_until'), t('common.action')], rows)
      : el('p', {}, t('is.cards.empty')));
  } catch (err) {
    clear(box, errorBox(err));
  }
}

$('refresh').addEventListener('click', () => {
  if (needSigner('manage-msg')) listCards();
});

// ---- status and renewal -------------------------------------------------------------------------

$('status-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  if (!needSigner('manage-msg')) return;
  const id = $('m-id').value.trim();
  const status = ev.submitter ? ev.submitter.value : 'SUSPENDED';
  if (status === 'REVOKED' && !window.confirm(t('is.revoke.confirm', { id }))) return;
  say('manage-msg', t('is.submitting'));
  try {
    const r = await submit({ set_credential_status: { credential_id: id, status, reason: $('m-reason').value.trim() } });
    const label = { SUSPENDED: 'is.suspend', ACTIVE: 'is.reinstate', REVOKED: 'is.revoke' }[status];
    say('manage-msg', t('is.status.done', { id, action: t(label), h: r.answer.height, r: r.answer.result }),
      r.answer.result === 'OK' ? 'ok' : 'error');
    listCards();
  } catch (err) {
    sayError('manage-msg', err);
  }
});

$('renew-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  if (!needSigner('manage-msg')) return;
  const id = $('r-id').value.trim();
  const from = dateToUnix($('r-from').value);
  const until = dateToUnix($('r-until').value);
  if (!(until > from)) {
    say('manage-msg', t('is.bad_dates'), 'error');
    return;
  }
  say('manage-msg', t('is.submitting'));
  try {
    const rec = await api(`/v1/credentials/${enc(id)}`);
    const status = await api('/v1/status');
    const holder = $('r-holder').value.trim();
    const memberNo = $('r-member-no').value.trim();
    const level = rec.type === 'MODEL_WORKER' ? rec.level : '';
    const card = makeCard(cardFields(status, {
      credential_id: id, type: rec.type, level, holder_name: holder, member_no: memberNo,
      valid_from: from, valid_until: until,
    }), signer.seed);
    const r = await submit({ renew_credential: { credential_id: id, card_digest: card.digest, valid_from: from, valid_until: until } });
    say('manage-msg', t('is.status.done', { id, action: t('is.renew.submit'), h: r.answer.height, r: r.answer.result }),
      r.answer.result === 'OK' ? 'ok' : 'error');
    if (r.answer.result === 'OK') showCard({ id, type: rec.type, level, holder, memberNo, from, until, text: card.text });
    listCards();
  } catch (err) {
    sayError('manage-msg', err);
  }
});

defaultDates('from', 'until');
defaultDates('r-from', 'r-until');
fillTypes();
initPage('issuer', () => {
  fillTypes();
  if (lastCard) showCard(lastCard);
  if (signer) listCards();
});
document.body.dataset.ready = '1';
