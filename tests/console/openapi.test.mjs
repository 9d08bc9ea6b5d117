// docs/openapi.yaml: lints clean with an independent linter (Redocly CLI, warnings count),
// describes exactly the routes of docs/api.md and docs/console.md (which the C++ tests keep
// equal to the served route table), and every example it gives validates against its schema.
// Run by ctest as console_openapi: node --test tests/console/openapi.test.mjs
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import test from 'node:test';
import {
  METHODS, ROOT, deref, loadSpec, makeAjv, markdownRoutes, specRoutes, validatorFor,
} from './openapi_lib.mjs';

const spec = loadSpec();

test('redocly lint: no errors and no warnings', () => {
  const cli = join(ROOT, 'console', 'node_modules', '@redocly', 'cli', 'bin', 'cli.js');
  const r = spawnSync(process.execPath, [cli, 'lint', join(ROOT, 'docs', 'openapi.yaml'),
    '--config', join(ROOT, 'redocly.yaml'), '--format=json'], { encoding: 'utf8', env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' } });
  const start = r.stdout.indexOf('{');
  assert.ok(start >= 0, `redocly printed no report:\n${r.stdout}\n${r.stderr}`);
  const report = JSON.parse(r.stdout.slice(start));
  const problems = (report.problems || []).map((p) => `${p.severity} ${p.ruleId}: ${p.message} at ${(p.location || []).map((l) => l.pointer).join(', ')}`);
  assert.deepEqual(problems, []);
  assert.equal(r.status, 0, r.stderr);
});

test('the document has exactly the routes of docs/api.md and docs/console.md', () => {
  const documented = [...markdownRoutes(join(ROOT, 'docs', 'api.md')),
    ...markdownRoutes(join(ROOT, 'docs', 'console.md'))].sort();
  assert.ok(documented.length >= 16);
  assert.deepEqual(specRoutes(spec).sort(), documented);
});

test('every example validates against its schema', () => {
  const ajv = makeAjv(spec);
  let checked = 0;
  const failures = [];
  const checkContent = (where, content) => {
    for (const [media, m] of Object.entries(content || {})) {
      if (media !== 'application/json' || !m.schema) continue;
      const validate = validatorFor(ajv, m.schema);
      for (const [name, ex] of Object.entries(m.examples || {})) {
        const value = deref(spec, ex).value;
        checked++;
        if (!validate(value)) failures.push(`${where} example '${name}': ${ajv.errorsText(validate.errors)}`);
      }
    }
  };
  for (const [path, item] of Object.entries(spec.paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      if (op.requestBody) checkContent(`${method} ${path} request`, deref(spec, op.requestBody).content);
      for (const [status, r] of Object.entries(op.responses)) {
        checkContent(`${method} ${path} ${status}`, deref(spec, r).content);
      }
    }
  }
  assert.deepEqual(failures, []);
  assert.ok(checked >= 15, `only ${checked} examples checked`);
});

test('a wrong example is caught (the check can fail)', () => {
  const ajv = makeAjv(spec);
  const validate = validatorFor(ajv, { $ref: '#/components/schemas/StatusView' });
  const ok = deref(spec, spec.paths['/v1/status'].get.responses['200']).content['application/json'].examples.node0.value;
  assert.ok(validate(ok));
  assert.ok(!validate({ ...ok, height: 42 }), 'a 64-bit integer must be a string');
  assert.ok(!validate({ ...ok, surprise: true }), 'unknown fields are refused');
});
