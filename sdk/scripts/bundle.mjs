// The mini-program build: one minified CommonJS file (dist/miniprogram/index.js, the directory
// the package's `miniprogram` field names for the developer tools' "build npm"). Fails when it
// is over the 15 KB budget.
import { build } from 'esbuild';
import { gzipSync } from 'node:zlib';

const LIMIT = 15 * 1024;
const result = await build({
  entryPoints: ['src/index.ts'],
  bundle: true,
  minify: true,
  format: 'cjs',
  platform: 'neutral',
  target: 'es2017',
  outfile: 'dist/miniprogram/index.js',
  write: true,
  metafile: true,
  legalComments: 'none',
});
const bytes = Object.values(result.metafile.outputs)[0].bytes;
const { readFileSync } = await import('node:fs');
const gz = gzipSync(readFileSync('dist/miniprogram/index.js')).length;
console.log(`dist/miniprogram/index.js: ${bytes} bytes minified (${(bytes / 1024).toFixed(1)} KB), ${gz} bytes gzipped; budget ${LIMIT}`);
if (bytes > LIMIT) {
  console.error(`over the ${LIMIT}-byte budget`);
  process.exit(1);
}
