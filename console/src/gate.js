// Gate page: a card's QR code from the camera (where the browser allows it), a photo or pasted
// text is decoded in the browser (jsQR) and checked privately, as `laurel verify` does
// (docs/gate.md, "Private online verification"): the page decodes the card, checks its chain,
// its issuer's signature (the key from GET /v1/issuers/{id}) and its display texts itself, and
// asks the node with POST /v1/verify/status only about the credential id and the card digest;
// the holder's name and member number never leave the page. The decision fills the screen:
// VALID in green, REFUSED in red with the reason, and the card's holder, type and level — the
// card's fields only once its signature has verified.
import { api, clear, dl, el, errorBox, fmtDate, initPage, links, t, tEnum } from './common.js';
import { verifyPrivately } from './codec.js';
import { jsQR } from './vendor.js';

const decision = document.getElementById('decision');
const cameraBtn = document.getElementById('camera');
const cameraMsg = document.getElementById('camera-msg');
const video = document.getElementById('video');
let stream = null;
let scanning = false;
let last = null;  // the last answer, redrawn on a language change
let pendingPresentation = '';  // a phone code (LP1:…) scanned before its card
const issuerKeys = new Map();  // issuer id → its keys (GET /v1/issuers/{id}), for this page

// The text of the first QR code in an image source (an <img>, a video frame), or null.
function decodeQr(source, width, height) {
  const canvas = document.createElement('canvas');
  // Large photos are scaled down: jsQR is quadratic in the side, and a card's code stays legible.
  const scale = Math.min(1, 1600 / Math.max(width, height));
  canvas.width = Math.max(1, Math.round(width * scale));
  canvas.height = Math.max(1, Math.round(height * scale));
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  ctx.drawImage(source, 0, 0, canvas.width, canvas.height);
  const img = ctx.getImageData(0, 0, canvas.width, canvas.height);
  const code = jsQR(img.data, img.width, img.height, { inversionAttempts: 'attemptBoth' });
  return code ? code.data : null;
}

function render(answer) {
  last = answer;
  const valid = answer.valid === true;
  const card = answer.card || {};
  const rec = answer.credential || {};
  decision.className = `decision ${valid ? 'valid' : 'refused'}`;
  clear(decision,
    el('p', { class: 'verdict', id: 'verdict', 'data-valid': valid ? '1' : '0' },
      valid ? `✔ ${t('gate.valid')}` : `✘ ${t('gate.refused')}`),
    el('p', { class: 'why', id: 'reason', 'data-reason': answer.reason }, tEnum('reason', answer.reason)),
    dl([
      card.holder_name ? [t('gate.holder'), el('strong', {}, card.holder_name)] : null,
      card.member_no ? [t('gate.member_no'), card.member_no] : null,
      (rec.type || card.type) ? [t('common.type'), tEnum('type', rec.type || card.type)] : null,
      (rec.type || card.type) === 'MODEL_WORKER' ? [t('common.level'), tEnum('level', rec.level || card.level)] : null,
      (rec.issuer_id || card.issuer_id) ? [t('common.issuer'), rec.issuer_id || card.issuer_id] : null,
      (rec.valid_until || card.valid_until) ? [t('common.valid_until'), fmtDate(rec.valid_until || card.valid_until)] : null,
      (rec.credential_id || card.credential_id) ? [t('gate.credential'), links.credential(rec.credential_id || card.credential_id)] : null,
      answer.holder ? [t('gate.binding'), t(`gate.binding.${answer.holder}`)] : null,
      answer.message ? [t('common.reason'), answer.message] : null,
    ]),
    el('p', { class: 'muted' }, t('gate.at_height', { h: answer.height })),
    el('button', { type: 'button', onclick: reset }, t('gate.again')));
  decision.hidden = false;
  decision.focus();
}

function reset() {
  decision.hidden = true;
  last = null;
  document.getElementById('card-text').value = '';
  document.getElementById('presentation-text').value = '';
  pendingPresentation = '';
  document.getElementById('photo').value = '';
  cameraBtn.focus();
}

async function verify(text, presentation = null) {
  // A phone code scanned first waits for its card (holder binding, docs/gate.md).
  if (String(text).trim().startsWith('LP1:')) {
    pendingPresentation = String(text).trim();
    last = null;
    decision.hidden = false;
    decision.className = 'decision';
    clear(decision, el('p', { class: 'muted', role: 'status' }, t('gate.presentation.read')));
    return;
  }
  const holder = {
    presentation: presentation ?? pendingPresentation,
    gate_id: document.getElementById('gate-id').value.trim(),
  };
  pendingPresentation = '';
  decision.hidden = false;
  decision.className = 'decision';
  clear(decision, el('p', { class: 'muted' }, t('gate.checking')));
  try {
    render(await verifyPrivately(text, api, issuerKeys, holder));
  } catch (err) {
    decision.className = 'decision refused';
    clear(decision, errorBox(err));
  }
}

function noQr() {
  last = null;
  decision.hidden = false;
  decision.className = 'decision refused';
  clear(decision, el('p', { class: 'why', role: 'alert', id: 'reason', 'data-reason': 'NO_QR' }, t('gate.noqr')));
}

document.getElementById('photo').addEventListener('change', async (ev) => {
  const file = ev.target.files && ev.target.files[0];
  if (!file) return;
  const url = URL.createObjectURL(file);
  try {
    const img = new Image();
    img.src = url;
    await img.decode();
    const text = decodeQr(img, img.naturalWidth, img.naturalHeight);
    if (text) await verify(text);
    else noQr();
  } catch (err) {
    clear(decision, errorBox(err));
    decision.hidden = false;
  } finally {
    URL.revokeObjectURL(url);
  }
});

document.getElementById('text-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const text = document.getElementById('card-text').value.trim();
  const presentation = document.getElementById('presentation-text').value.trim();
  if (text) verify(text, presentation || null);
});

async function stopCamera() {
  scanning = false;
  if (stream) stream.getTracks().forEach((tr) => tr.stop());
  stream = null;
  video.hidden = true;
  cameraBtn.textContent = t('gate.camera.start');
  cameraBtn.dataset.i18n = 'gate.camera.start';
}

function scanFrame() {
  if (!scanning) return;
  if (video.readyState >= 2 && video.videoWidth) {
    const text = decodeQr(video, video.videoWidth, video.videoHeight);
    if (text) {
      stopCamera();
      verify(text);
      return;
    }
  }
  setTimeout(scanFrame, 250);
}

cameraBtn.addEventListener('click', async () => {
  if (stream) {
    stopCamera();
    return;
  }
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    cameraMsg.textContent = t('gate.camera.unavailable');
    return;
  }
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
    video.srcObject = stream;
    video.hidden = false;
    await video.play();
    cameraBtn.textContent = t('gate.camera.stop');
    cameraBtn.dataset.i18n = 'gate.camera.stop';
    cameraMsg.textContent = '';
    scanning = true;
    scanFrame();
  } catch (err) {
    stream = null;
    cameraMsg.textContent = `${t('gate.camera.unavailable')} (${err.name || err.message})`;
  }
});

initPage('gate', () => {
  if (last) render(last);
});
document.body.dataset.ready = '1';
