// Runs every compiled dist/test/**/*.test.js with node:test. Node 20's `--test` has no globs and
// would also execute helper modules, so the list is collected here; finding no test is a failure.
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = 'dist/test';
const filter = process.argv.slice(2);
const files = existsSync(root)
  ? readdirSync(root, { recursive: true })
      .map(String)
      .filter((f) => f.endsWith('.test.js'))
      .map((f) => join(root, f))
      .filter((f) => filter.length === 0 || filter.some((s) => f.includes(s)))
      .sort()
  : [];
if (files.length === 0) {
  console.error(`run-tests: no *.test.js files found under ${root}`);
  process.exit(1);
}
// Node's own default reporter (spec on a terminal, else TAP), plus a summary of the skipped tests
// and why (e.g. a system tool not installed, see test/helpers/system-tools.ts).
const reporters = [
  process.stdout.isTTY ? 'spec' : 'tap',
  new URL('./skip-summary-reporter.mjs', import.meta.url).href,
].flatMap((r) => [`--test-reporter=${r}`, '--test-reporter-destination=stdout']);
const result = spawnSync(
  process.execPath,
  ['--test', '--test-concurrency=2', '--enable-source-maps', ...reporters, ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
