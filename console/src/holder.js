// Holder page: the phone's side of holder binding (docs/gate.md "Holder binding"). The holder's
// device key file is opened in the page (as the issuer console does with an issuer key: a
// passphrase-encrypted file is decrypted here), and a presentation of the bound card for one
// gate — the gate's nonce, or the current 30-second slot — is signed in the browser (Ed25519,
// @noble/ed25519) and shown as a QR code and as text, exactly what `laurel holder present`
// prints. Nothing is sent anywhere.
import { initPage, t } from './common.js';
import { SLOT_SECONDS, decodeCardText, fromHex, makePresentation, openKeyFile, toHex } from './codec.js';
import { qrcode } from './vendor.js';

const $ = (id) => document.getElementById(id);

function say(text, kind = '') {
  const p = $('ho-msg');
  p.textContent = text;
  p.className = kind;
}

function qrSvg(text) {
  const qr = qrcode(0, 'M');
  qr.addData(text, 'Alphanumeric');
  qr.make();
  const n = qr.getModuleCount();
  const quiet = 4;
  let d = '';
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) if (qr.isDark(r, c)) d += `M${c + quiet} ${r + quiet}h1v1h-1z`;
  }
  const size = n + 2 * quiet;
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', `0 0 ${size} ${size}`);
  svg.setAttribute('width', '280');
  svg.setAttribute('height', '280');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', t('ho.qr'));
  svg.innerHTML = `<rect width="${size}" height="${size}" fill="#fff"/><path d="${d}" fill="#000"/>`;
  return svg;
}

$('present-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  $('ho-out').hidden = true;
  try {
    const { body } = decodeCardText($('ho-card').value);
    if (!body.holder_key || body.holder_key.length !== 32) {
      say(t('ho.unbound'), 'error');
      return;
    }
    const file = $('ho-key').files[0];
    const key = await openKeyFile(await file.text(), $('ho-pass').value);
    if (key.publicKeyHex !== toHex(body.holder_key)) {
      say(t('ho.other_key'), 'error');
      return;
    }
    const p = { credential_id: body.credential_id, gate_id: $('ho-gate').value.trim() };
    const nonce = $('ho-nonce').value.trim();
    if (nonce) p.nonce = fromHex(nonce);
    else p.slot = Math.floor(Date.now() / 1000 / SLOT_SECONDS);
    const text = makePresentation(p, key.seed);
    $('ho-text').value = text;
    $('ho-qr').replaceChildren(qrSvg(text));
    $('ho-out').hidden = false;
    say(nonce ? t('ho.made_nonce') : t('ho.made_slot'), 'ok');
  } catch (err) {
    say(err && err.code === 'PASSPHRASE_NEEDED' ? t('is.key.need_passphrase') : String(err.message || err), 'error');
  }
});

initPage('holder');
document.body.dataset.ready = '1';
