// `confd keygen` as a child process of the built bin/confd (npm run build first).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execa } from 'execa';
import { confdBin } from '../helpers/paths.js';

test('confd keygen prints base64 of 32 random bytes and a newline, exit 0; two runs differ', async () => {
  const [a, b] = await Promise.all([execa(confdBin, ['keygen']), execa(confdBin, ['keygen'])]);
  for (const run of [a, b]) {
    assert.equal(run.exitCode, 0);
    assert.equal(run.stderr, '');
  }
  // execa strips the final newline; check it is there with stripFinalNewline off.
  const raw = await execa(confdBin, ['keygen'], { stripFinalNewline: false });
  assert.match(raw.stdout, /^[A-Za-z0-9+/]{43}=\n$/);
  assert.equal(Buffer.from(a.stdout, 'base64').length, 32);
  assert.equal(Buffer.from(a.stdout, 'base64').toString('base64'), a.stdout);
  assert.notEqual(a.stdout, b.stdout);
});

test('confd keygen -h prints the usage; an unknown flag is an error, exit 1', async () => {
  const help = await execa(confdBin, ['keygen', '-h']);
  assert.equal(help.exitCode, 0);
  assert.match(help.stdout, /^Usage: confd keygen\n\n {2}Generates a new 32-byte encryption key/);
  const bad = await execa(confdBin, ['keygen', '-nope'], { reject: false });
  assert.equal(bad.exitCode, 1);
  assert.equal(bad.stdout, '');
  assert.match(bad.stderr, /^flag provided but not defined: -nope\nUsage: confd keygen\n/);
});
