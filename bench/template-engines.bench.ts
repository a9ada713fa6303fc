/**
 * Template engines: rendering confd's iteration-style template over 1,000 and 10,000 keys with the
 * Go text/template engine against the handlebars engine on the same data (compile once, render
 * many). Target: the Go engine takes at most 1.5× handlebars' time.
 */
import { goTemplateEngine } from '../src/template/go/index.js';
import { handlebarsEngine } from '../src/template/handlebars.js';
import type { RenderContext } from '../src/template/types.js';
import type { Bench, BenchContext, Figure } from './harness/types.js';

function keysFor(n: number): Map<string, string> {
  const keys = new Map<string, string>();
  for (let i = 0; i < n; i++) {
    keys.set(`/upstream/host${String(i).padStart(6, '0')}`, `10.0.${i % 256}.${i % 100}:8080`);
  }
  return keys;
}

/** bestOf returns the fastest mean time (ms) of `rounds` batches of `reps` renders. */
function bestOf(render: () => void, rounds: number, reps: number): number {
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const start = performance.now();
    for (let i = 0; i < reps; i++) render();
    best = Math.min(best, (performance.now() - start) / reps);
  }
  return best;
}

const bench: Bench = {
  name: 'template-engines',
  description: 'iteration template, Go engine vs handlebars, 1,000 and 10,000 keys; target <= 1.5x',
  run(ctx: BenchContext): Promise<Figure[]> {
    const go = goTemplateEngine.compile(
      '{{range gets "/upstream/*"}}server {{.Value}};\n{{end}}',
      'iteration.tmpl',
    );
    const hb = handlebarsEngine.compile(
      '{{#each (gets "/upstream/*")}}server {{this.Value}};\n{{/each}}',
      'iteration.tmpl',
    );
    const figures: Figure[] = [];
    for (const [n, reps] of [
      [1000, ctx.quick ? 2 : 50],
      [10000, ctx.quick ? 1 : 10],
    ] as const) {
      const data: RenderContext = { keys: keysFor(n), env: {}, now: () => 0 };
      if (go.render(data).output !== hb.render(data).output) {
        figures.push({ line: `template-engines ${n} keys: outputs differ`, ok: false });
        continue;
      }
      // Warm both up, then interleave rounds so that machine load hits both alike.
      bestOf(() => go.render(data), 2, reps);
      bestOf(() => hb.render(data), 2, reps);
      let goBest = Infinity;
      let hbBest = Infinity;
      for (let round = 0; round < (ctx.quick ? 2 : 10); round++) {
        goBest = Math.min(
          goBest,
          bestOf(() => go.render(data), 1, reps),
        );
        hbBest = Math.min(
          hbBest,
          bestOf(() => hb.render(data), 1, reps),
        );
      }
      const ratio = goBest / hbBest;
      figures.push({
        line: `template-engines ${n.toLocaleString('en-US')} keys: go ${goBest.toFixed(2)} ms handlebars ${hbBest.toFixed(2)} ms ratio ${ratio.toFixed(2)}x (target <= 1.5x)`,
        ok: ratio <= 1.5,
      });
    }
    return Promise.resolve(figures);
  },
};

export default bench;
