'use strict';
/**
 * Runs the bundled CLI, dist/bundle/confd.cjs (built by scripts/bundle.mjs), with the V8 code cache
 * the build trained for it. Node 20 has no module compile cache (`module.enableCompileCache()`
 * came in 22.1), and compiling the CLI's JavaScript on every start cost as much as a whole
 * `confd -onetime` pass; vm.Script takes the cached bytecode instead. A missing cache, one made for
 * another bundle (the first lines differ), or one V8 rejects (another Node version or V8 flags)
 * only costs that compile: the script runs the same either way.
 *
 * CommonJS on purpose: an ES-module entry makes Node set up its ESM loader first.
 */
const { readFileSync, renameSync, writeFileSync } = require('node:fs');
const { dirname, join } = require('node:path');
const { Script } = require('node:vm');

// The CommonJS Module class: its createRequire, without loading `node:module` (which brings parts
// of the ESM loader along).
const { createRequire } = module.constructor;

const bundleFile = join(__dirname, '..', 'dist', 'bundle', 'confd.cjs');
const cacheFile = `${bundleFile}.cache`;

/** firstLine is the bundle's `// confd-bundle <id>` line, which also heads its cache file. */
function firstLine(text) {
  const end = text.indexOf('\n');
  return end < 0 ? '' : text.slice(0, end + 1);
}

/** cachedDataFor returns the cache's V8 data if the cache was made for this bundle. */
function cachedDataFor(idLine) {
  let raw;
  try {
    raw = readFileSync(cacheFile);
  } catch {
    return undefined; // no cache: compile
  }
  const head = Buffer.from(idLine, 'latin1');
  if (idLine === '' || raw.length <= head.length) return undefined;
  return raw.subarray(0, head.length).equals(head) ? raw.subarray(head.length) : undefined;
}

/**
 * runBundle runs the CLI in this process, as Node runs a CommonJS module (same wrapper arguments;
 * `require` resolves from the bundle's directory). With `writeCodeCache` (the build's training
 * runs), it writes the cache at exit, holding what the run compiled.
 */
function runBundle(options = {}) {
  let source;
  try {
    // ASCII by construction (scripts/bundle.mjs), so latin1 reads it without UTF-8 decoding.
    source = readFileSync(bundleFile, 'latin1');
  } catch (err) {
    throw new Error(`confd is not built (${err.message}); run \`npm run build\``, { cause: err });
  }
  const idLine = firstLine(source);
  // The file is already the `(function (exports, require, module, __filename, __dirname) {...})`
  // expression Node would wrap a CommonJS module in.
  const script = new Script(source, { filename: bundleFile, cachedData: cachedDataFor(idLine) });
  if (options.writeCodeCache) {
    process.once('exit', () => {
      const tmp = `${cacheFile}.${process.pid}.tmp`;
      writeFileSync(tmp, Buffer.concat([Buffer.from(idLine, 'latin1'), script.createCachedData()]));
      renameSync(tmp, cacheFile);
    });
  }
  const bundleModule = { exports: {}, filename: bundleFile };
  script.runInThisContext()(
    bundleModule.exports,
    createRequire(bundleFile),
    bundleModule,
    bundleFile,
    dirname(bundleFile),
  );
}

module.exports = { runBundle };
