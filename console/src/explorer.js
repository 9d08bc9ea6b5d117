// Explorer: chain status, latest blocks, a block with its transactions and results, a
// transaction, a credential and an issuer with their histories; search by id. The location's
// hash is the page (#block/12, #tx/<id>, #credential/<id>, #issuer/<id>, #issuers), so every
// view has a URL and the browser's back button works. Status is polled; when the height moves
// the status and the home view are redrawn (live updates as blocks commit).
import {
  api, clear, dl, el, enc, errorBox, fmtDate, fmtTimeMs, initPage, links, short, t, table, tEnum,
} from './common.js';

const POLL_MS = 2000;
const LATEST = 10;
const view = document.getElementById('view');
const statusBox = document.getElementById('status');
let lastStatus = null;
let renderSeq = 0;

const ACTION_KEYS = ['register_issuer', 'rotate_issuer_key', 'set_issuer_status', 'issue_credential',
  'set_credential_status', 'renew_credential', 'update_governance', 'update_validator_set'];

function actionOf(decoded) {
  if (!decoded) return null;
  const key = ACTION_KEYS.find((k) => decoded[k]);
  return key ? { key, value: decoded[key] } : null;
}

function badge(value, prefix = 'status') {
  return el('span', { class: `badge ${value}` }, tEnum(prefix, value));
}

function resultBadge(r) {
  return el('span', { class: `badge ${r === 'OK' ? 'OK' : 'REVOKED'}` }, r || '—');
}

// What a transaction did, with links to what it names.
function summary(decoded) {
  const a = actionOf(decoded);
  if (!a) return '—';
  const v = a.value;
  const parts = [tEnum('action', a.key), ' '];
  if (v.credential_id) parts.push(links.credential(v.credential_id));
  else if (v.issuer_id) parts.push(links.issuer(v.issuer_id));
  if (v.status) parts.push(' → ', badge(v.status));
  return el('span', {}, parts);
}

function renderStatus(s) {
  clear(statusBox, dl([
    [t('common.height'), el('strong', { id: 'height' }, s.height)],
    [t('ex.status.chain'), s.chain_id],
    [t('ex.status.node'), s.node_name],
    [t('ex.status.health'), s.ready
      ? el('span', { class: 'ok' }, t('ex.status.ready'))
      : el('span', { class: 'error' }, t('ex.status.notready'))],
    [t('ex.status.validators'), String(s.validators)],
    [t('ex.status.peers'), String(s.peers_connected)],
    [t('ex.status.mempool'), s.mempool_txs],
  ]));
}

async function home(seq) {
  const latest = await api('/v1/blocks/latest');
  const top = Number(latest.height);
  const heights = [];
  for (let h = top; h >= 0 && heights.length < LATEST; h--) heights.push(h);
  const blocks = await Promise.all(heights.map((h) => (h === top ? latest : api(`/v1/blocks/${h}`))));
  const issuers = await api('/v1/issuers?limit=20');
  if (seq !== renderSeq) return;
  clear(view,
    el('h2', {}, t('ex.latest.heading')),
    table([t('common.height'), t('common.time'), t('ex.block.txs'), t('ex.block.id')],
      blocks.map((b) => [links.block(b.height), fmtTimeMs(b.time_ms), String(b.tx_count),
        el('span', { class: 'mono' }, short(b.block_id, 16))])),
    el('h2', {}, t('ex.issuers.heading')),
    issuerTable(issuers.issuers),
    el('p', {}, el('a', { href: '#issuers' }, t('ex.issuers.link'))));
}

function issuerTable(list) {
  return table([t('common.issuer'), t('common.name'), t('common.parent'), t('common.status')],
    list.map((i) => [links.issuer(i.issuer_id), i.name, i.parent_id ? links.issuer(i.parent_id) : '—',
      badge(i.status)]));
}

async function allIssuers() {
  const out = [];
  let token = '';
  do {
    const page = await api(`/v1/issuers?limit=1000${token ? `&page_token=${token}` : ''}`);
    out.push(...page.issuers);
    token = page.next_page_token;
  } while (token);
  return out;
}

async function issuers(seq) {
  const list = await allIssuers();
  if (seq !== renderSeq) return;
  clear(view, el('h2', {}, t('ex.issuers.heading')), issuerTable(list));
}

function txRows(b) {
  return (b.txs || []).map((tx) => [
    String(tx.position), links.tx(tx.tx_id), summary(tx.decoded_body), resultBadge(tx.result),
    el('span', { class: 'mono' }, short(signerHex(tx), 12)),
  ]);
}

function signerHex(tx) {
  const s = tx.signatures && tx.signatures[0];
  if (!s) return '';
  const bin = atob(s.public_key);
  return Array.from(bin, (c) => c.charCodeAt(0).toString(16).padStart(2, '0')).join('');
}

async function block(seq, h) {
  const b = await api(`/v1/blocks/${enc(h)}`);
  if (seq !== renderSeq) return;
  const hn = Number(b.height);
  const tip = lastStatus ? Number(lastStatus.height) : hn;
  clear(view,
    el('h2', {}, t('ex.block.heading', { h: b.height })),
    el('nav', { class: 'row', 'aria-label': t('ex.block.heading', { h: b.height }) },
      hn > 0 ? el('a', { href: `#block/${hn - 1}`, rel: 'prev' }, `← ${t('ex.block.prev')}`) : null,
      hn < tip ? el('a', { href: `#block/${hn + 1}`, rel: 'next' }, `${t('ex.block.next')} →`) : null),
    dl([
      [t('ex.block.id'), el('span', { class: 'mono' }, b.block_id)],
      [t('ex.block.parent'), el('span', { class: 'mono' }, b.parent_id)],
      [t('common.time'), fmtTimeMs(b.time_ms)],
      [t('ex.block.state_root'), el('span', { class: 'mono' }, b.state_root)],
      [t('ex.block.txs'), String(b.tx_count)],
    ]),
    b.tx_count ? table([t('ex.tx.position'), t('ex.tx.id'), t('common.action'), t('common.result'),
      t('common.signer')], txRows(b)) : null);
}

async function tx(seq, id) {
  const st = await api(`/v1/txs/${enc(id)}`);
  let found = null;
  if (st.status === 'committed' && st.height !== undefined) {
    const b = await api(`/v1/blocks/${st.height}`);
    found = (b.txs || []).find((x) => x.tx_id === st.tx_id) || null;
  }
  if (seq !== renderSeq) return;
  clear(view,
    el('h2', {}, t('ex.tx.heading')),
    dl([
      [t('ex.tx.id'), el('span', { class: 'mono' }, st.tx_id)],
      [t('common.status'), st.status === 'committed' ? st.status : t('ex.tx.pending')],
      st.height !== undefined ? [t('ex.tx.in_block'), links.block(st.height)] : null,
      st.position !== undefined ? [t('ex.tx.position'), String(st.position)] : null,
      st.result ? [t('common.result'), resultBadge(st.result)] : null,
      found ? [t('common.action'), summary(found.decoded_body)] : null,
      found ? [t('common.signer'), el('span', { class: 'mono' }, signerHex(found))] : null,
    ]),
    found && found.decoded_body ? el('h3', {}, t('ex.tx.body')) : null,
    found && found.decoded_body ? el('pre', { class: 'json' }, JSON.stringify(found.decoded_body, null, 2)) : null);
}

function historyTable(entries) {
  return table([t('common.height'), t('common.time'), t('common.action'), t('common.result'), t('ex.tx.id')],
    entries.map((e) => [links.block(e.height), fmtTimeMs(e.time_ms), tEnum('action', e.action),
      resultBadge(e.result), links.tx(e.tx_id)]),
    t('ex.history.heading'));
}

async function history(path) {
  const out = [];
  let token = '';
  do {
    const page = await api(`${path}?limit=1000${token ? `&page_token=${token}` : ''}`);
    out.push(...page.entries);
    token = page.next_page_token;
  } while (token && out.length < 5000);
  return out;
}

async function credential(seq, id) {
  const [c, h] = await Promise.all([
    api(`/v1/credentials/${enc(id)}`),
    history(`/v1/credentials/${enc(id)}/history`),
  ]);
  if (seq !== renderSeq) return;
  clear(view,
    el('h2', {}, t('ex.cred.heading', { id: c.credential_id })),
    dl([
      [t('common.status'), badge(c.status)],
      c.status_reason ? [t('common.reason'), c.status_reason] : null,
      c.status_set_by ? [t('ex.cred.set_by'), c.status_set_by] : null,
      [t('common.type'), tEnum('type', c.type)],
      [t('common.level'), tEnum('level', c.level)],
      [t('common.issuer'), links.issuer(c.issuer_id)],
      [t('common.valid_from'), fmtDate(c.valid_from)],
      [t('common.valid_until'), fmtDate(c.valid_until)],
      [t('ex.cred.key_version'), String(c.key_version)],
      [t('ex.cred.digest'), el('span', { class: 'mono' }, c.card_digest)],
      [t('ex.cred.created'), links.block(c.created_height)],
      [t('ex.cred.updated'), links.block(c.updated_height)],
    ]),
    historyTable(h));
}

async function issuer(seq, id) {
  const [i, h, all] = await Promise.all([
    api(`/v1/issuers/${enc(id)}`),
    history(`/v1/issuers/${enc(id)}/history`),
    allIssuers(),
  ]);
  if (seq !== renderSeq) return;
  const children = all.filter((x) => x.parent_id === i.issuer_id);
  clear(view,
    el('h2', {}, t('ex.issuer.heading', { id: i.issuer_id })),
    dl([
      [t('common.name'), i.name],
      [t('common.parent'), i.parent_id ? links.issuer(i.parent_id) : '—'],
      [t('common.status'), badge(i.status)],
      i.status_reason ? [t('common.reason'), i.status_reason] : null,
      [t('ex.issuer.grants'), (i.grants || []).map((g) => tEnum('type', g.type) +
        (g.levels && g.levels.length ? ` (${g.levels.map((l) => tEnum('level', l)).join('、')})` : '')).join('; ')],
      [t('ex.issuer.delegate'), i.can_delegate ? t('common.yes') : t('common.no')],
    ]),
    table([t('ex.issuer.key_version'), t('ex.issuer.public_key'), t('ex.issuer.from'), t('ex.issuer.to')],
      (i.keys || []).map((k) => [String(k.key_version), el('span', { class: 'mono' }, k.public_key),
        links.block(k.from_height), k.to_height === '0' ? t('ex.issuer.current') : links.block(k.to_height)]),
      t('ex.issuer.keys')),
    el('h3', {}, t('ex.issuer.children')),
    children.length ? issuerTable(children) : el('p', {}, t('common.none')),
    historyTable(h));
}

async function route() {
  const seq = ++renderSeq;
  const hash = decodeURIComponent(location.hash.slice(1));
  const slash = hash.indexOf('/');
  const kind = slash < 0 ? hash : hash.slice(0, slash);
  const arg = slash < 0 ? '' : hash.slice(slash + 1);
  clear(view, el('p', { class: 'muted' }, t('common.loading')));
  try {
    if (kind === 'block') await block(seq, arg);
    else if (kind === 'tx') await tx(seq, arg);
    else if (kind === 'credential') await credential(seq, arg);
    else if (kind === 'issuer') await issuer(seq, arg);
    else if (kind === 'issuers') await issuers(seq);
    else await home(seq);
  } catch (err) {
    if (seq !== renderSeq) return;
    clear(view, err.status === 404
      ? el('p', { class: 'error', role: 'alert' }, t('ex.notfound', { what: arg || hash }))
      : errorBox(err));
  }
}

// Search: a height, a transaction id (64 hex), a credential id (ISSUER/...), an issuer id.
document.getElementById('search').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const q = document.getElementById('q').value.trim();
  const msg = document.getElementById('search-msg');
  msg.hidden = true;
  let target = null;
  if (/^\d+$/.test(q)) target = `block/${q}`;
  else if (/^[0-9a-fA-F]{64}$/.test(q)) target = `tx/${q.toLowerCase()}`;
  else if (q.includes('/')) target = `credential/${enc(q)}`;
  else if (/^[a-z0-9-]{2,64}$/.test(q)) target = `issuer/${enc(q)}`;
  if (!target) {
    msg.textContent = t('ex.search.bad', { q });
    msg.hidden = false;
    return;
  }
  if (location.hash === `#${target}`) route();
  else location.hash = target;
  document.getElementById('main').focus();
});

async function poll() {
  try {
    const s = await api('/v1/status');
    const moved = !lastStatus || s.height !== lastStatus.height;
    lastStatus = s;
    renderStatus(s);
    const hash = location.hash.slice(1);
    if (moved && (hash === '' || hash === 'issuers')) await route();
  } catch (err) {
    clear(statusBox, errorBox(err));
  }
  setTimeout(poll, POLL_MS);
}

window.addEventListener('hashchange', route);
initPage('explorer', () => {
  if (lastStatus) renderStatus(lastStatus);
  route();
});
document.getElementById('view').dataset.ready = '1';
route();
poll();
