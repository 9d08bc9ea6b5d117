// The real server's answers validate against docs/openapi.yaml: a request to each JSON route
// (and a few error answers) of a running node, each body checked against the schema of the
// documented status and media type. Started by tests/integration/test_console.py with
// LAUREL_URL (a node), LAUREL_CARD (a card text issued by the CLI) and LAUREL_CREDENTIAL (its id).
import assert from 'node:assert/strict';
import test from 'node:test';
import { checkResponse, loadSpec, makeAjv } from './openapi_lib.mjs';

const BASE = process.env.LAUREL_URL;
const CARD = process.env.LAUREL_CARD;
const CRED = process.env.LAUREL_CREDENTIAL;
assert.ok(BASE && CARD && CRED, 'LAUREL_URL, LAUREL_CARD and LAUREL_CREDENTIAL must be set');
const spec = loadSpec();
const ajv = makeAjv(spec);
const e = encodeURIComponent;

async function call(method, path, body, headers = {}) {
  const init = { method, headers, redirect: 'manual' };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    init.headers = { 'Content-Type': 'application/json', ...headers };
  }
  const res = await fetch(BASE + path, init);
  const text = await res.text();
  const type = res.headers.get('content-type') || '';
  return { status: res.status, type, text, json: type.startsWith('application/json') ? JSON.parse(text) : null, headers: res.headers };
}

async function conforms(method, pattern, path, wantStatus, body) {
  const r = await call(method, path, body);
  assert.equal(r.status, wantStatus, `${method} ${path}: ${r.text.slice(0, 300)}`);
  const problems = checkResponse(spec, ajv, method, pattern, r.status, r.type, r.json ?? r.text);
  assert.deepEqual(problems, [], `${method} ${path}`);
  return r;
}

test('status, blocks and the block range', async () => {
  const s = await conforms('GET', '/v1/status', '/v1/status', 200);
  assert.ok(Number(s.json.height) >= 1);
  await conforms('GET', '/v1/blocks/latest', '/v1/blocks/latest', 200);
  await conforms('GET', '/v1/blocks/{height}', '/v1/blocks/1', 200);
  await conforms('GET', '/v1/blocks/{height}', '/v1/blocks/x', 400);
  await conforms('GET', '/v1/blocks/{height}', '/v1/blocks/99999999', 404);
  await conforms('GET', '/v1/blocks', '/v1/blocks?from=0&limit=2', 200);
  await conforms('GET', '/v1/genesis', '/v1/genesis', 200);
  await conforms('GET', '/v1/epochs', '/v1/epochs', 200);
  const nodes = await conforms('GET', '/v1/nodes', '/v1/nodes', 200);
  assert.ok(nodes.json.nodes.length >= 1 && nodes.json.nodes[0].self === true, JSON.stringify(nodes.json));
});

test('issuers and credentials, with their histories', async () => {
  await conforms('GET', '/v1/issuers', '/v1/issuers?limit=5', 200);
  await conforms('GET', '/v1/issuers', '/v1/issuers?limit=0', 400);
  await conforms('GET', '/v1/issuers/{id}', '/v1/issuers/city-fed', 200);
  await conforms('GET', '/v1/issuers/{id}', '/v1/issuers/no-such-union', 404);
  await conforms('GET', '/v1/issuers/{id}/history', '/v1/issuers/city-fed/history', 200);
  const c = await conforms('GET', '/v1/credentials/{id}', `/v1/credentials/${e(CRED)}`, 200);
  assert.equal(c.json.credential_id, CRED);
  const h = await conforms('GET', '/v1/credentials/{id}/history', `/v1/credentials/${e(CRED)}/history`, 200);
  assert.ok(h.json.entries.length >= 1);
  await conforms('GET', '/v1/txs/{tx_id}', `/v1/txs/${h.json.entries[0].tx_id}`, 200);
  await conforms('GET', '/v1/txs/{tx_id}', '/v1/txs/zz', 400);
  await conforms('GET', '/v1/credentials/{id}', `/v1/credentials/${e('city-fed/none/0')}`, 404);
});

test('an issuer\'s credentials and counts, history by signer, verify as of a height', async () => {
  const l = await conforms('GET', '/v1/issuers/{id}/credentials', '/v1/issuers/city-fed/credentials?limit=5', 200);
  assert.ok(l.json.credentials.some((c) => c.credential_id === CRED), l.text.slice(0, 300));
  await conforms('GET', '/v1/issuers/{id}/credentials', '/v1/issuers/city-fed/credentials?status=ACTIVE&type=MEMBER', 200);
  await conforms('GET', '/v1/issuers/{id}/credentials', '/v1/issuers/city-fed/credentials?status=LOST', 400);
  await conforms('GET', '/v1/issuers/{id}/credentials', '/v1/issuers/city-fed/credentials?page_token=zz', 400);
  await conforms('GET', '/v1/issuers/{id}/credentials', '/v1/issuers/no-such-union/credentials', 404);
  const st = await conforms('GET', '/v1/issuers/{id}/stats', '/v1/issuers/city-fed/stats', 200);
  assert.ok(Number(st.json.own.total) >= 1);
  await conforms('GET', '/v1/issuers/{id}/stats', '/v1/issuers/no-such-union/stats', 404);
  const chain = await conforms('GET', '/v1/stats', '/v1/stats', 200);
  assert.ok(Number(chain.json.credentials.total) >= Number(st.json.including_descendants.total));
  await conforms('GET', '/v1/issuers/{id}/history', '/v1/issuers/city-fed/history?signed_by=me', 200);
  await conforms('GET', '/v1/issuers/{id}/history', '/v1/issuers/city-fed/history?signed_by=them', 400);
  const status = await call('GET', '/v1/status');
  const v = await conforms('POST', '/v1/verify', `/v1/verify?height=${status.json.height}`, 200, { code: CARD });
  assert.equal(v.json.historical, true);
  assert.equal(v.json.height, status.json.height);
  await conforms('POST', '/v1/verify', '/v1/verify?height=999999999', 400, { code: CARD });
  await conforms('POST', '/v1/verify', '/v1/verify?at=yesterday', 400, { code: CARD });
});

test('verify and submit', async () => {
  const ok = await conforms('POST', '/v1/verify', '/v1/verify', 200, { code: CARD });
  assert.equal(ok.json.reason, 'VALID');
  const bad = await conforms('POST', '/v1/verify', '/v1/verify', 200, { code: 'LC1:XYZ' });
  assert.equal(bad.json.valid, false);
  await conforms('POST', '/v1/verify', '/v1/verify', 400, '{"nope": 1}');
  const rec = (await call('GET', `/v1/credentials/${e(CRED)}`)).json;
  const ask = { credential_id: CRED, card_digest: rec.card_digest, issuer_id: rec.issuer_id, key_version: rec.key_version };
  const priv = await conforms('POST', '/v1/verify/status', '/v1/verify/status', 200, ask);
  assert.equal(priv.json.reason, ok.json.reason);
  assert.equal(priv.json.card, undefined);
  const unknown = await conforms('POST', '/v1/verify/status', '/v1/verify/status', 200, { ...ask, credential_id: 'city-fed/none/0' });
  assert.equal(unknown.json.reason, 'NOT_ON_LEDGER');
  await conforms('POST', '/v1/verify/status', '/v1/verify/status', 400, { ...ask, card_digest: 'abc' });
  await conforms('POST', '/v1/verify/status', '/v1/verify/status', 400, { ...ask, holder_name: 'x' });
  const r = await conforms('POST', '/v1/txs', '/v1/txs', 400, { body: 'AAAA', signatures: [] });
  assert.ok(['MALFORMED_BODY', 'INVALID_TX'].includes(r.json.code), r.text);
});

test('operations and the console routes', async () => {
  await conforms('GET', '/healthz', '/healthz', 200);
  await conforms('GET', '/readyz', '/readyz', 200);
  await conforms('GET', '/metrics', '/metrics', 200);
  await conforms('GET', '/openapi.yaml', '/openapi.yaml', 200);
  await conforms('GET', '/console/{file}', '/console/index.html', 200);
  await conforms('GET', '/console/{file}', '/console/..%2Fopenapi.yaml', 404);
  const redirect = await conforms('GET', '/console', '/console', 302);
  assert.equal(redirect.headers.get('location'), '/console/index.html');
});

test('a wrong answer would be caught', () => {
  const problems = checkResponse(spec, ajv, 'GET', '/v1/status', 200, 'application/json', { height: 5 });
  assert.ok(problems.length > 0);
});
