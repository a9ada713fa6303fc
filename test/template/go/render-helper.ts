/** Shared helpers for the Go template engine tests: an engine over a small test function map. */
import { createGoEngine, type GoFunction } from '../../../src/template/go/index.js';
import { GoFloat, KVPair } from '../../../src/template/values.js';
import type { RenderContext } from '../../../src/template/types.js';

/** testFunctions is a function map with fixed values, so tests do not depend on the library. */
export const testFunctions: Readonly<Record<string, GoFunction>> = {
  list: () => ['a', 'b'],
  emptyList: () => [],
  ints: () => [1, 2, 3],
  m: () => ({ b: 2, a: 1 }),
  emptyMap: () => ({}),
  kv: () => new KVPair('/k', 'v'),
  kvs: () => [new KVPair('/a', '1'), new KVPair('/b', '2')],
  nilv: () => null,
  float: (...args: unknown[]) => new GoFloat(Number(args[0] ?? 2.5)),
  fail: () => {
    throw new Error('boom');
  },
  fnv: () => (s: unknown) => `called ${String(s)}`,
  echo: (...args: unknown[]) => args,
};

const emptyContext: RenderContext = { keys: new Map(), env: {}, now: () => 0 };

/** testEngine is the Go engine over {@link testFunctions}. */
export const testEngine = createGoEngine({
  functionNames: Object.keys(testFunctions),
  functions: () => testFunctions,
});

/** render compiles and renders `source` named `t` with the test functions. */
export function render(source: string, name = 't'): string {
  return testEngine.compile(source, name).render(emptyContext).output;
}

/** renderError returns the message of the error `source` raises (or fails if none). */
export function renderError(source: string, name = 't'): { code: string; message: string } {
  try {
    const out = render(source, name);
    return { code: 'none', message: `rendered: ${JSON.stringify(out)}` };
  } catch (err) {
    const e = err as { code?: string; message: string };
    return { code: e.code ?? 'none', message: e.message };
  }
}
