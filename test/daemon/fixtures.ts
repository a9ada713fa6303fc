/** Test helper: builds confdirs and seeded data directories in a test's temp dir. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createStore } from '../../src/store/store.js';

/** ResourceSpec is one conf.d TOML (its [template] lines) plus its template text. */
export interface ResourceSpec {
  toml: string;
  template?: { name: string; text: string };
}

/** makeConfdir writes `<dir>/confdir/{conf.d,templates}` and an `out/` dir; returns their paths. */
export async function makeConfdir(
  dir: string,
  resources: Record<string, ResourceSpec>,
): Promise<{ confdir: string; out: string }> {
  const confdir = join(dir, 'confdir');
  const out = join(dir, 'out');
  await mkdir(join(confdir, 'conf.d'), { recursive: true });
  await mkdir(join(confdir, 'templates'), { recursive: true });
  await mkdir(out, { recursive: true });
  for (const [name, spec] of Object.entries(resources)) {
    await writeFile(join(confdir, 'conf.d', name), spec.toml);
    if (spec.template)
      await writeFile(join(confdir, 'templates', spec.template.name), spec.template.text);
  }
  return { confdir, out };
}

/** seedDataDir writes keys (Consul names, no leading `/`) into a fresh store data directory. */
export async function seedDataDir(dataDir: string, keys: Record<string, string>): Promise<void> {
  const store = await createStore({ dataDir, nodeName: 'seed' });
  try {
    for (const [key, value] of Object.entries(keys)) {
      await store.kvSet(key, new TextEncoder().encode(value));
    }
  } finally {
    await store.close();
  }
}

/** toml builds a `[template]` table from key/value pairs (strings quoted, arrays as TOML). */
export function toml(fields: Record<string, string | number | string[]>): string {
  const lines = ['[template]'];
  for (const [k, v] of Object.entries(fields)) {
    const value = Array.isArray(v)
      ? `[${v.map((x) => JSON.stringify(x)).join(', ')}]`
      : typeof v === 'number'
        ? String(v)
        : JSON.stringify(v);
    lines.push(`${k} = ${value}`);
  }
  return `${lines.join('\n')}\n`;
}

/** resource is a ResourceSpec whose template `src` holds `text`; `fields` are the other keys. */
export function resource(
  src: string,
  text: string,
  fields: Record<string, string | number | string[]>,
): ResourceSpec {
  return { toml: toml({ src, ...fields }), template: { name: src, text } };
}
