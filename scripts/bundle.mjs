// Bundles the compiled CLI (dist/src/cli/main.js) into dist/bundle/ for bin/confd. Loading ~80 ESM
// modules one by one costs Node 20 (no compile cache) as much as the whole -onetime pass; one
// bundle with split chunks keeps the lazily loaded parts (store, HTTP API, engines) lazy.
import { build } from 'esbuild';

const result = await build({
  entryPoints: ['dist/src/cli/main.js'],
  outdir: 'dist/bundle',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
});
// A warning (e.g. an `import()` with a computed path, which would not be bundled) fails the build.
if (result.warnings.length > 0) process.exit(1);
