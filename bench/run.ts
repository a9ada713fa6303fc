/**
 * The benchmark runner (`npm run bench [-- <filter>...]`): loads every `*.bench.js` next to this
 * file, keeps those whose name contains one of the filters, runs them one after another, and
 * prints each figure line, with `MISSED` where a target is missed. Exit code 0 when every bench
 * ran (missed targets included), 1 when a bench crashed.
 */
import { cpus, loadavg, tmpdir } from 'node:os';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Bench, BenchContext, Figure } from './harness/types.js';

const here = dirname(fileURLToPath(import.meta.url));
/** dist/bench -> the checkout root. */
const repoRoot = join(here, '..', '..');

async function loadBenches(): Promise<Bench[]> {
  const files = (await readdir(here)).filter((f) => f.endsWith('.bench.js')).sort();
  const benches: Bench[] = [];
  for (const file of files) {
    const mod = (await import(pathToFileURL(join(here, file)).href)) as { default?: Bench };
    if (mod.default) benches.push(mod.default);
  }
  return benches;
}

async function runOne(bench: Bench, signal: AbortSignal, quick: boolean): Promise<Figure[]> {
  const workDir = await mkdtemp(join(tmpdir(), `confd-bench-${bench.name}-`));
  const cleanups: (() => Promise<unknown> | void)[] = [];
  const ctx: BenchContext = {
    workDir,
    repoRoot,
    quick,
    signal,
    log: (message) => process.stderr.write(`  .. ${message}\n`),
    defer: (cleanup) => cleanups.push(cleanup),
  };
  try {
    return await bench.run(ctx);
  } finally {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (err) {
        process.stderr.write(`  .. cleanup failed: ${String(err)}\n`);
      }
    }
    await rm(workDir, { recursive: true, force: true });
  }
}

/** withVerdict makes sure a figure with a target ends by saying OK or MISSED plainly. */
function withVerdict(figure: Figure): string {
  if (figure.ok === undefined || /\b(OK|MISSED)$/.test(figure.line)) return figure.line;
  return `${figure.line} ${figure.ok ? 'OK' : 'MISSED'}`;
}

async function main(argv: string[]): Promise<number> {
  const quick = argv.includes('--quick');
  const filters = argv.filter((a) => a !== '--quick');
  const all = await loadBenches();
  const chosen = all.filter((b) => filters.length === 0 || filters.some((f) => b.name.includes(f)));
  if (chosen.length === 0) {
    console.error(
      `bench: nothing matches ${JSON.stringify(filters)}; benches: ${all.map((b) => b.name).join(', ')}`,
    );
    return 1;
  }
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  console.log(
    `confd bench ${new Date().toISOString()} — nproc ${cpus().length}, load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(
        ' ',
      )}, node ${process.version}${quick ? ' — QUICK SMOKE RUN, figures not comparable' : ''}`,
  );
  const lines: string[] = [];
  let crashed = false;
  for (const bench of chosen) {
    console.log(`== ${bench.name}: ${bench.description}`);
    const started = performance.now();
    try {
      const figures = await runOne(bench, controller.signal, quick);
      for (const f of figures) {
        const line = withVerdict(f);
        console.log(line);
        lines.push(line);
      }
    } catch (err) {
      crashed = true;
      const why = (err instanceof Error ? err.message : String(err)).split('\n')[0]?.slice(0, 200);
      if (err instanceof Error && err.message.includes('\n'))
        console.error(err.message.slice(-3000));
      const line = `${bench.name}: crashed (${why}) MISSED`;
      console.log(line);
      lines.push(line);
    }
    console.log(`   (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  }
  console.log('\n== summary');
  for (const line of lines) console.log(line);
  return crashed ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exitCode = 1;
  },
);
