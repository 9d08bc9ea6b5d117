// Builds the console into a folder of plain files: the pages and scripts of src/ as they are,
// vendor.js (the npm libraries of vendor-entry.js bundled by esbuild) and openapi.yaml
// (docs/openapi.yaml, served at /openapi.yaml). Usage: node console/build.mjs OUT_DIR
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = process.argv[2];
if (!out) {
  console.error('usage: node console/build.mjs OUT_DIR');
  process.exit(2);
}
const dest = resolve(out);
rmSync(dest, { recursive: true, force: true });
mkdirSync(dest, { recursive: true });
for (const f of readdirSync(join(here, 'src'))) copyFileSync(join(here, 'src', f), join(dest, f));
copyFileSync(join(here, '..', 'docs', 'openapi.yaml'), join(dest, 'openapi.yaml'));
await build({
  entryPoints: [join(here, 'vendor-entry.js')],
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['es2020'],
  minify: true,
  legalComments: 'eof',
  outfile: join(dest, 'vendor.js'),
  logLevel: 'warning',
});
console.log(`console built in ${dest}`);
