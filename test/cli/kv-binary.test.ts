// `confd kv` with binary values, as real `bin/confd` processes against a real agent: the exact
// bytes go in through @file and stdin, come out of get, get -recurse and get -detailed, and
// survive export/import.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { startAgent } from '../helpers/agent.js';
import { confdBin } from '../helpers/paths.js';
import { tempDir } from '../helpers/temp-dir.js';

interface Run {
  readonly code: number;
  readonly stdout: Buffer;
  readonly stderr: string;
}

/** confd runs `bin/confd ...args` with only `env`, capturing stdout as raw bytes. */
async function confd(
  env: Record<string, string>,
  args: string[],
  input?: Uint8Array | string,
): Promise<Run> {
  const r = await execa(process.execPath, [confdBin, ...args], {
    env,
    extendEnv: false,
    encoding: 'buffer',
    stripFinalNewline: false,
    reject: false,
    ...(input === undefined ? { stdin: 'ignore' as const } : { input }),
  });
  return {
    code: r.exitCode ?? -1,
    stdout: Buffer.from(r.stdout),
    stderr: Buffer.from(r.stderr).toString('utf8'),
  };
}

const NL = Buffer.from('\n');
// Every byte value, then invalid and valid UTF-8 sequences mixed.
const ALL_BYTES = Buffer.concat([
  Buffer.from(Array.from({ length: 256 }, (_, i) => i)),
  Buffer.from([0xc3, 0x28, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80, 0xed, 0xa0, 0x80, 0x00]),
]);

test('confd kv keeps binary values byte for byte', async (t) => {
  const agent = await startAgent(t, ['-dns-port', '-1']);
  const env = { CONSUL_HTTP_ADDR: agent.url };
  const dir = await tempDir(t);
  const file = join(dir, 'all-bytes.bin');
  await writeFile(file, ALL_BYTES);

  await t.test('put @file then get writes the exact bytes and a newline', async () => {
    const put = await confd(env, ['kv', 'put', 'bin/file', `@${file}`]);
    assert.deepEqual(
      { ...put, stdout: put.stdout.toString() },
      { code: 0, stdout: 'Success! Data written to: bin/file\n', stderr: '' },
    );
    const get = await confd(env, ['kv', 'get', 'bin/file']);
    assert.equal(get.code, 0, get.stderr);
    assert.ok(get.stdout.equals(Buffer.concat([ALL_BYTES, NL])), 'stdout is the value + \\n');
  });

  await t.test('put - reads the exact bytes from stdin', async () => {
    const put = await confd(env, ['kv', 'put', 'bin/stdin', '-'], ALL_BYTES);
    assert.equal(put.code, 0, put.stderr);
    const get = await confd(env, ['kv', 'get', 'bin/stdin']);
    assert.ok(get.stdout.equals(Buffer.concat([ALL_BYTES, NL])));
  });

  await t.test('get -base64 prints the standard base64 of the bytes', async () => {
    const get = await confd(env, ['kv', 'get', '-base64', 'bin/file']);
    assert.equal(get.code, 0, get.stderr);
    assert.equal(get.stdout.toString(), `${ALL_BYTES.toString('base64')}\n`);
  });

  await t.test('put -base64 stores the decoded bytes', async () => {
    const put = await confd(env, ['kv', 'put', '-base64', 'bin/b64', ALL_BYTES.toString('base64')]);
    assert.equal(put.code, 0, put.stderr);
    const get = await confd(env, ['kv', 'get', 'bin/b64']);
    assert.ok(get.stdout.equals(Buffer.concat([ALL_BYTES, NL])));
  });

  await t.test('get -recurse prints key:bytes lines', async () => {
    const get = await confd(env, ['kv', 'get', '-recurse', 'bin/f']);
    assert.equal(get.code, 0, get.stderr);
    assert.ok(get.stdout.equals(Buffer.concat([Buffer.from('bin/file:'), ALL_BYTES, NL])));
  });

  await t.test('get -detailed passes a binary value without tabwriter bytes through', async () => {
    // No \t \v \n \f or 0xff: the value is the text after the last tab, written as is.
    const plain = Buffer.from(ALL_BYTES.filter((b) => ![9, 10, 11, 12, 0xff].includes(b)));
    assert.equal((await confd(env, ['kv', 'put', 'bin/plain', '-'], plain)).code, 0);
    const get = await confd(env, ['kv', 'get', '-detailed', 'bin/plain']);
    assert.equal(get.code, 0, get.stderr);
    const valueLine = Buffer.concat([Buffer.from('Value            '), plain, NL]);
    assert.ok(get.stdout.subarray(get.stdout.length - valueLine.length).equals(valueLine));
    assert.match(get.stdout.toString('latin1'), /^Key {14}bin\/plain\n/m);
  });

  await t.test('export base64s the bytes and import writes them back exactly', async () => {
    const exported = await confd(env, ['kv', 'export', 'bin/file']);
    assert.equal(exported.code, 0, exported.stderr);
    const entries = JSON.parse(exported.stdout.toString()) as { key: string; value: string }[];
    assert.deepEqual(entries, [{ key: 'bin/file', flags: 0, value: ALL_BYTES.toString('base64') }]);
    const del = await confd(env, ['kv', 'delete', 'bin/file']);
    assert.equal(del.code, 0, del.stderr);
    const imported = await confd(env, ['kv', 'import', '-'], exported.stdout);
    assert.deepEqual(
      { ...imported, stdout: imported.stdout.toString() },
      { code: 0, stdout: 'Imported: bin/file\n', stderr: '' },
    );
    const get = await confd(env, ['kv', 'get', 'bin/file']);
    assert.ok(get.stdout.equals(Buffer.concat([ALL_BYTES, NL])));
  });
});
