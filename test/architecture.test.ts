/**
 * The folders are the architecture: this test enforces which modules each area may import.
 * `store`, `backends`, `template`, `reload` and `watcher` may import their own folder, the shared
 * leaves (`src/errors.ts`, `src/log.ts`, `src/fsync-policy.ts`, `src/clock.ts`, and `src/go/`, the Go-compatibility helpers) and, as types
 * only, the other areas' types. The composition
 * root (`src/daemon.ts`) and the CLI (`src/cli/`) may import anything. The one sanctioned runtime
 * edge between areas: the embedded backend opens the bundled store. `transport` (agent-to-agent
 * connections) is a bottom layer: besides itself it imports only `src/errors.ts`, `src/log.ts` and
 * `src/go/`, no other area, not even as types.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative, dirname, resolve } from 'node:path';
import { repoRoot } from './helpers/paths.js';

const src = join(repoRoot, 'src');
const areas = [
  'store',
  'backends',
  'template',
  'reload',
  'watcher',
  'transport',
  'membership',
  'forwarding',
  'replication',
] as const;
const leaves = ['errors.ts', 'log.ts', 'fsync-policy.ts', 'clock.ts'];
/** The shared leaf folder of Go-compatibility helpers: anyone may import it. */
const goLeaf = 'go';
/** Runtime imports across areas that the design allows, as `from-file -> to-area`. */
const allowedRuntimeEdges = new Set([
  'backends/embedded.ts -> store',
  // The member table's record helpers (validation, roles) are the store's: membership uses them.
  'membership/agent-membership.ts -> store',
  'membership/server.ts -> store',
  // A client pushes its local state to the catalog in the catalog's own JSON shapes.
  'forwarding/anti-entropy.ts -> store',
  // The replicated log stores commands in the store's own record encoding, and talks to etcd with
  // the etcd backend's gateway client.
  'replication/entry-codec.ts -> store',
  'replication/etcd-calls.ts -> backends',
  'replication/open.ts -> backends',
]);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(dir, f));
}

interface ImportLine {
  spec: string;
  typeOnly: boolean;
}

function importsOf(file: string): ImportLine[] {
  const text = readFileSync(file, 'utf8');
  const out: ImportLine[] = [];
  const re =
    /^\s*(import|export)\s+(type\s+)?[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm;
  for (const m of text.matchAll(re)) {
    const spec = m[3] ?? m[4];
    if (spec) out.push({ spec, typeOnly: Boolean(m[2]) });
  }
  return out;
}

function areaOf(pathFromSrc: string): string {
  const first = pathFromSrc.split('/')[0] ?? '';
  return first.endsWith('.ts') ? first : first;
}

test('areas import only their own folder, the shared leaves, and other areas as types', () => {
  const violations: string[] = [];
  for (const area of areas) {
    for (const file of sourceFiles(join(src, area))) {
      const fromRel = relative(src, file);
      for (const { spec, typeOnly } of importsOf(file)) {
        if (!spec.startsWith('.')) continue;
        const target = relative(src, resolve(dirname(file), spec)).replace(/\.js$/, '.ts');
        const targetArea = areaOf(target);
        if (targetArea === area || leaves.includes(target) || targetArea === goLeaf) continue;
        if (typeOnly && (areas as readonly string[]).includes(targetArea)) continue;
        if (allowedRuntimeEdges.has(`${fromRel} -> ${targetArea}`)) continue;
        violations.push(`${fromRel} imports ${spec}${typeOnly ? ' (type)' : ''}`);
      }
    }
  }
  assert.deepEqual(violations, []);
});

test('the shared leaves import no project module', () => {
  for (const leaf of leaves) {
    const local = importsOf(join(src, leaf)).filter((i) => i.spec.startsWith('.'));
    assert.deepEqual(local, [], `${leaf} must stay a leaf`);
  }
});

test('src/go is a shared leaf: it imports only itself and src/errors.ts', () => {
  const violations: string[] = [];
  for (const file of sourceFiles(join(src, goLeaf))) {
    for (const { spec } of importsOf(file)) {
      if (!spec.startsWith('.')) continue;
      const target = relative(src, resolve(dirname(file), spec)).replace(/\.js$/, '.ts');
      if (areaOf(target) === goLeaf || target === 'errors.ts') continue;
      violations.push(`${relative(src, file)} imports ${spec}`);
    }
  }
  assert.deepEqual(violations, []);
});

test('src/transport imports only itself, src/errors.ts, src/log.ts and src/go/, no area even as types', () => {
  const allowed = ['errors.ts', 'log.ts'];
  const violations: string[] = [];
  for (const file of sourceFiles(join(src, 'transport'))) {
    for (const { spec } of importsOf(file)) {
      if (!spec.startsWith('.')) continue;
      const target = relative(src, resolve(dirname(file), spec)).replace(/\.js$/, '.ts');
      const targetArea = areaOf(target);
      if (targetArea === 'transport' || allowed.includes(target) || targetArea === goLeaf) continue;
      violations.push(`${relative(src, file)} imports ${spec}`);
    }
  }
  assert.deepEqual(violations, []);
});
