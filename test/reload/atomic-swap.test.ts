/** A reader polling dest during thousands of swaps never sees a partial or empty file. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTargetSyncer } from '../../src/reload/target-syncer.js';
import { silentLogger } from '../../src/log.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

// The reader runs in its own process, reading dest in a tight loop until the stop file appears,
// and prints how many reads it made and every content that was not one of the two versions.
const READER = `
const fs = require('node:fs');
const [dest, stop, a, b] = process.argv.slice(1);
let reads = 0; const bad = new Set();
process.stdout.write('ready\\n');
while (!fs.existsSync(stop)) {
  let text;
  try { text = fs.readFileSync(dest, 'utf8'); } catch (e) { bad.add('error ' + e.code); continue; }
  reads++;
  if (text !== a && text !== b) bad.add(JSON.stringify(text.slice(0, 40)) + ' len ' + text.length);
}
process.stdout.write(JSON.stringify({ reads, bad: [...bad] }) + '\\n');
`;

test('2000 alternating syncs never expose a partial or empty dest to a reader', async (t) => {
  // tmpfs when available: fsync is free there, and rename atomicity is what is under test
  let dir: string;
  if (existsSync('/dev/shm')) {
    dir = await mkdtemp('/dev/shm/confd-swap-');
    t.after(() => rm(dir, { recursive: true, force: true }));
  } else {
    dir = await tempDir(t);
  }
  const dest = join(dir, 'big.conf');
  const stop = join(dir, 'stop');
  const a = 'upstream a {\n' + '  server 10.0.0.1:80;\n'.repeat(2000) + '}\n';
  const b = 'upstream b {\n' + '  server 10.0.0.2:8080;\n'.repeat(1500) + '}\n';
  const syncer = createTargetSyncer({ logger: silentLogger });
  await syncer.sync({ dest, content: a });

  const reader = spawn(process.execPath, ['-e', READER, dest, stop, a, b], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.after(() => reader.kill('SIGKILL'));
  let out = '';
  reader.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  const exited = new Promise((resolve) => reader.on('exit', resolve));
  await waitFor(() => out.startsWith('ready\n'), { what: 'the reader to start' });

  for (let i = 0; i < 2000; i++) {
    const result = await syncer.sync({ dest, content: i % 2 === 0 ? b : a });
    assert.equal(result.updated, true);
  }
  await writeFile(stop, '');
  await exited;
  const report = JSON.parse(out.slice('ready\n'.length)) as { reads: number; bad: string[] };
  assert.deepEqual(report.bad, []);
  assert.ok(report.reads > 100, `the reader made only ${report.reads} reads`);
});
