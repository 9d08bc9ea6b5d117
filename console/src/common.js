// What every console page shares: the header (navigation, language), the node's JSON API
// (docs/api.md; the page's own origin), and small DOM and formatting helpers.
import { applyTexts, currentLang, setLang, t, tEnum } from './i18n.js';

export { t, tEnum };

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message || `HTTP ${status}`);
    this.status = status;
    this.code = body?.code || '';
    this.body = body;
  }
}

// GET or POST a JSON route; resolves to the answer's JSON, rejects with ApiError.
export async function api(path, { method = 'GET', body, signal } = {}) {
  const init = { method, headers: { Accept: 'application/json' }, signal };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  const text = await res.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = { message: text };
  }
  if (!res.ok) throw new ApiError(res.status, json);
  return json;
}

export const enc = encodeURIComponent;

// el('a', {href: '#x', class: 'k'}, 'text', child...) — attributes, then children (strings
// become text nodes: nothing from the network is ever parsed as HTML).
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

export function clear(node, ...children) {
  node.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined));
}

// A definition list of [label, value] rows (value: text or a node).
export function dl(rows) {
  return el('dl', { class: 'kv' }, rows.filter(Boolean).flatMap(([k, v]) => [
    el('dt', {}, k), el('dd', {}, v === '' || v === undefined || v === null ? '—' : v),
  ]));
}

export function table(headers, rows, caption) {
  return el('div', { class: 'table-wrap' }, el('table', {},
    caption ? el('caption', {}, caption) : null,
    el('thead', {}, el('tr', {}, headers.map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, rows.map((r) => el('tr', {}, r.map((c) => el('td', {}, c)))))));
}

export function short(hex, n = 12) {
  if (!hex) return '';
  return hex.length > n + 2 ? `${hex.slice(0, n)}…` : hex;
}

export function fmtTimeMs(ms) {
  const n = Number(ms);
  if (!n) return '—';
  return new Date(n).toLocaleString(currentLang() === 'zh' ? 'zh-CN' : 'en-GB', { hour12: false });
}

export function fmtDate(unixSeconds) {
  const n = Number(unixSeconds);
  if (!n) return '—';
  return new Date(n * 1000).toISOString().slice(0, 10);
}

export function link(hash, text) {
  return el('a', { href: hash }, text);
}

export const links = {
  block: (h) => link(`index.html#block/${h}`, String(h)),
  tx: (id) => link(`index.html#tx/${id}`, short(id)),
  credential: (id) => link(`index.html#credential/${enc(id)}`, id),
  issuer: (id) => link(`index.html#issuer/${enc(id)}`, id),
};

export function errorBox(err) {
  return el('p', { class: 'error', role: 'alert' }, t('common.error', { msg: err.message || err }));
}

// Header: navigation with the current page marked, the language switch; re-renders texts on a
// language change and calls onLang so that pages redraw what they built.
export function initPage(page, onLang) {
  const nav = document.getElementById('site-nav');
  if (nav) {
    for (const a of nav.querySelectorAll('a')) {
      if (a.dataset.page === page) a.setAttribute('aria-current', 'page');
    }
  }
  const btn = document.getElementById('lang-switch');
  if (btn) {
    btn.addEventListener('click', () => {
      setLang(currentLang() === 'zh' ? 'en' : 'zh');
      applyTexts();
      if (onLang) onLang();
    });
  }
  applyTexts();
}
