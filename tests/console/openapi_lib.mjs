// docs/openapi.yaml for the tests: the document, its routes, and validators (Ajv, JSON Schema
// 2020-12 as OpenAPI 3.1 uses) for the JSON bodies of its responses and requests.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
// The console's npm packages (console/package.json) serve the tests too.
const require = createRequire(join(ROOT, 'console', 'package.json'));
const YAML = require('yaml');
const Ajv2020 = require('ajv/dist/2020').default;
const addFormats = require('ajv-formats');

export const METHODS = ['get', 'post', 'put', 'delete', 'patch'];

export function loadSpec(path = join(ROOT, 'docs', 'openapi.yaml')) {
  return YAML.parse(readFileSync(path, 'utf8'));
}

// "METHOD /pattern" of every "### METHOD /pattern" heading of a Markdown file (as the C++ test
// tests/unit/rpc/api_doc_test.cpp reads docs/api.md).
export function markdownRoutes(path) {
  const out = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const m = /^### (GET|POST|PUT|DELETE) (\/\S*)/.exec(line);
    if (m) out.push(`${m[1]} ${m[2]}`);
  }
  return out;
}

export function specRoutes(spec) {
  const out = [];
  for (const [path, item] of Object.entries(spec.paths)) {
    for (const m of METHODS) if (item[m]) out.push(`${m.toUpperCase()} ${path}`);
  }
  return out;
}

export function deref(spec, obj) {
  let o = obj;
  while (o && o.$ref) {
    const parts = o.$ref.replace(/^#\//, '').split('/').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
    o = parts.reduce((x, k) => x[k], spec);
  }
  return o;
}

export function makeAjv(spec) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema(spec, 'openapi.json');
  return ajv;
}

// The validator of a schema object found in the document (its $refs resolve in the document).
export function validatorFor(ajv, schema) {
  return ajv.compile(schemaWithBase(schema));
}

function schemaWithBase(schema) {
  // A schema given by $ref to the components is compiled through the document's id, so that the
  // nested '#/components/...' references resolve against it.
  if (schema.$ref && schema.$ref.startsWith('#/')) return { $ref: `openapi.json${schema.$ref}` };
  return { $id: `inline-${Math.random().toString(36).slice(2)}`, allOf: [rebase(schema)] };
}

function rebase(s) {
  if (Array.isArray(s)) return s.map(rebase);
  if (!s || typeof s !== 'object') return s;
  const out = {};
  for (const [k, v] of Object.entries(s)) {
    out[k] = k === '$ref' && typeof v === 'string' && v.startsWith('#/') ? `openapi.json${v}` : rebase(v);
  }
  return out;
}

// The operation and response object for a method, a route pattern and a status code.
export function responseFor(spec, method, pattern, status) {
  const op = spec.paths[pattern] && spec.paths[pattern][method.toLowerCase()];
  if (!op) throw new Error(`${method} ${pattern} is not in the document`);
  const r = op.responses[String(status)];
  if (!r) throw new Error(`${method} ${pattern}: status ${status} is not documented`);
  return deref(spec, r);
}

// Checks a JSON body against the documented response; returns a list of problems (empty: ok).
export function checkResponse(spec, ajv, method, pattern, status, contentType, body) {
  const r = responseFor(spec, method, pattern, status);
  const media = (contentType || '').split(';')[0].trim().toLowerCase();
  if (!r.content) return [];  // a body the document does not describe (e.g. a redirect's)
  const content = r.content;
  if (!content[media]) return [`${method} ${pattern} ${status}: media type ${media} is not documented`];
  const schema = content[media].schema;
  if (!schema || media !== 'application/json') return [];
  const validate = validatorFor(ajv, schema);
  if (validate(body)) return [];
  return validate.errors.map((e) => `${method} ${pattern} ${status}: ${e.instancePath || '/'} ${e.message}`);
}
