/**
 * Start-up cost of the daemon: wall time of `confd -onetime` rendering the repository's example
 * (embedded in-memory store; conf.d/ has two Go templates, one reading the catalog with `service`)
 * against `node -e 0`. The first run renders the targets; the measured ones find them in sync.
 * Target: at most 1.4× node's own start.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { infoFigure } from './harness/report.js';
import type { Bench, BenchContext, Figure } from './harness/types.js';

function wallMs(args: string[], cwd: string): number {
  const start = performance.now();
  const r = spawnSync(process.execPath, args, { cwd, stdio: 'ignore' });
  const ms = performance.now() - start;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}`);
  return ms;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

const bench: Bench = {
  name: 'daemon-startup',
  description: 'confd -onetime (example, embedded store) wall time vs node -e 0; target <= 1.4x',
  run(ctx: BenchContext): Promise<Figure[]> {
    const runs = ctx.quick ? 3 : 15;
    const confd = [
      join(ctx.repoRoot, 'bin', 'confd'),
      '-onetime',
      '-confdir',
      ctx.repoRoot,
      '-config-file',
      '/nonexistent/confd.toml',
    ];
    const version = [join(ctx.repoRoot, 'bin', 'confd'), '-version'];
    const node: number[] = [];
    const ours: number[] = [];
    const cli: number[] = [];
    // Warm the file-system cache once, then alternate so load changes hit both sides alike.
    wallMs(confd, ctx.workDir);
    for (let i = 0; i < runs && !ctx.signal.aborted; i++) {
      node.push(wallMs(['-e', '0'], ctx.workDir));
      ours.push(wallMs(confd, ctx.workDir));
      cli.push(wallMs(version, ctx.workDir));
    }
    const n = median(node);
    const c = median(ours);
    const ratio = c / n;
    const fastest = (values: number[]) => Math.min(...values).toFixed(0);
    return Promise.resolve([
      {
        line: `daemon-startup: confd -onetime ${c.toFixed(0)} ms, node -e 0 ${n.toFixed(0)} ms, ratio ${ratio.toFixed(2)}x (target <= 1.40x, median of ${runs})`,
        ok: ratio <= 1.4,
      },
      // Not targets: how much of it is loading the CLI (-version), and the fastest runs, which
      // show the cost on a machine less loaded than the medians'.
      infoFigure(
        `daemon-startup: confd -version ${median(cli).toFixed(0)} ms (median); fastest runs: ` +
          `-onetime ${fastest(ours)} ms, -version ${fastest(cli)} ms, node -e 0 ${fastest(node)} ms`,
      ),
    ]);
  },
};

export default bench;
