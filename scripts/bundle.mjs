// Bundles the compiled CLI (dist/src/cli/main.js) into ONE CommonJS script, dist/bundle/confd.cjs,
// and trains a V8 code cache for it, dist/bundle/confd.cjs.cache; bin/confd runs the script through
// vm.Script with that cache. Why: on Node 20 (no module compile cache) a `confd -onetime` spent
// more time resolving, reading and compiling ~40 ES modules than rendering. In one CommonJS file
// esbuild keeps every lazily imported module lazy (an init function run on first use, its
// `require`s of packages inside it), so the agent, HTTP API, other backends and handlebars still
// load only when used, without a file read per module.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';

const require = createRequire(import.meta.url);
const root = resolve(import.meta.dirname, '..');
const outDir = join(root, 'dist', 'bundle');
const outFile = join(outDir, 'confd.cjs');
const cacheFile = `${outFile}.cache`;
/** Packages bundled in: small, pure JS and on the `-onetime` path (one file instead of ten). */
const inlinePackages = new Set(['smol-toml']);
/**
 * Built-in modules that load on first use rather than when a module importing them initialises.
 * `-onetime` on an in-memory store never calls the store's crc32 (zlib: WAL only), templates' DNS
 * lookups or the watcher's sleep, nor, when the targets are in sync, node:crypto (md5 of a change)
 * or node:fs/promises; each of these cost 0.2 to 3 ms of start-up (with the streams they load).
 */
const lazyBuiltins = new Set([
  'node:crypto',
  'node:dns/promises',
  'node:fs/promises',
  'node:timers/promises',
  'node:zlib',
]);

/**
 * lazyBuiltin is the stand-in module for a built-in: one getter per export, which requires the
 * built-in the first time any is read. esbuild reads a CommonJS module's exports at each use
 * (`(0, import_x.crc32)(...)`), so nothing loads before the first call.
 */
function lazyBuiltin(specifier) {
  const names = Object.keys(require(specifier)).filter((n) => n !== 'default');
  const getters = names.map(
    (n) => `  get ${JSON.stringify(n)}() { return load()[${JSON.stringify(n)}]; },`,
  );
  return [
    'let m;',
    `const load = () => (m ??= require(${JSON.stringify(specifier)}));`,
    'module.exports = {',
    ...getters,
    '};',
  ].join('\n');
}

const result = await build({
  entryPoints: [join(root, 'dist', 'src', 'cli', 'main.js')],
  outfile: outFile,
  write: false,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  // No `import()` in the output: vm.Script code can only import() through an experimental hook
  // that prints a warning. Packages load with require(), which takes ES modules since Node 20.19.
  supported: { 'dynamic-import': false },
  // `import.meta.url` (confd -version finds package.json with it) is the bundle's own URL. The
  // banner keeps "use strict" first, where it makes the whole script strict, as ES modules are.
  define: { 'import.meta': '__confdImportMeta' },
  banner: {
    js: [
      '"use strict";',
      'const __confdImportMeta = {',
      '  get url() { return require("node:url").pathToFileURL(__filename).href; },',
      '};',
    ].join('\n'),
  },
  logLevel: 'warning',
  plugins: [
    {
      name: 'packages-external',
      setup(b) {
        b.onResolve({ filter: /^[^./]/ }, (args) => {
          if (lazyBuiltins.has(args.path) && args.namespace !== 'lazy-builtin') {
            return { path: args.path, namespace: 'lazy-builtin' };
          }
          if (args.path.startsWith('node:')) return { external: true };
          const parts = args.path.split('/');
          const name = args.path.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
          const fromInlined = [...inlinePackages].some((p) =>
            args.importer.includes(`/node_modules/${p}/`),
          );
          return inlinePackages.has(name) || fromInlined ? undefined : { external: true };
        });
        b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, (args) => ({
          contents: lazyBuiltin(args.path),
          loader: 'js',
        }));
      },
    },
  ],
});
// A warning (e.g. an `import()` with a computed path, which would not be bundled) fails the build.
if (result.warnings.length > 0) process.exit(1);
const [output] = result.outputFiles;
if (result.outputFiles.length !== 1 || output === undefined) {
  console.error('bundle: expected exactly one output file');
  process.exit(1);
}
// esbuild leaves a few non-ASCII characters (in comments and one regular expression); escaped, the
// bundle is ASCII and bin/run-bundle.cjs reads it as latin1, a plain copy with no UTF-8 decoding.
const code = output.text.replace(
  /[^\x00-\x7f]/g,
  (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
);
if (/\bimport\s*\(/.test(code)) {
  console.error('bundle: the output still contains import(); bin/confd cannot run it');
  process.exit(1);
}
// Stored as the function expression Node's CommonJS loader would wrap it in, so that vm.Script
// takes the file as read (no concatenated copy of 700 kB to flatten on every start).
const wrapped = `(function (exports, require, module, __filename, __dirname) {${code}\n})\n`;
// The first line names the build; the cache file starts with the same line. V8 itself checks only
// the source's length, so this is what keeps a cache from running against another bundle.
const idLine = `// confd-bundle ${createHash('sha256').update(wrapped).digest('hex').slice(0, 32)}\n`;
mkdirSync(outDir, { recursive: true });
// Written aside and renamed, so a confd starting meanwhile reads either bundle whole.
const tmp = `${outFile}.${process.pid}.tmp`;
writeFileSync(tmp, idLine + wrapped);
renameSync(tmp, outFile);

// Training: two `confd -onetime` runs of the repository's example in a scratch directory; the first
// renders the targets (and writes a cache), the second finds them in place, as most runs do, and
// writes the cache again with what both compiled. Without the example or on failure, no cache:
// confd then compiles at start-up, as before.
const bin = join(root, 'bin', 'confd');
const runner = join(root, 'bin', 'run-bundle.cjs');
const scratch = mkdtempSync(join(tmpdir(), 'confd-bundle-'));
try {
  const env = { ...process.env };
  delete env.NODE_OPTIONS; // the cache must match a plain `node` (V8 checks its flags)
  for (let pass = 0; pass < 2; pass++) {
    const r = spawnSync(
      process.execPath,
      [
        '-e',
        `require(${JSON.stringify(runner)}).runBundle({ writeCodeCache: true })`,
        bin, // argv[1], as when bin/confd runs
        '-onetime',
        '-confdir',
        root,
        '-config-file',
        join(scratch, 'absent.toml'),
        '-log-level',
        'warn',
      ],
      { cwd: scratch, env, encoding: 'utf8', timeout: 60_000 },
    );
    if (r.status !== 0) {
      console.error(`bundle: code-cache training run failed (exit ${r.status}); no cache written`);
      console.error(r.stderr || r.error?.message || '');
      rmSync(cacheFile, { force: true });
      break;
    }
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
// Whatever an older build left (the earlier ES-module chunks) goes.
for (const name of readdirSync(outDir)) {
  if (!['confd.cjs', 'confd.cjs.cache'].includes(name) && !name.endsWith('.tmp'))
    rmSync(join(outDir, name), { force: true });
}
