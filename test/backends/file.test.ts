import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isConfdError, ErrorCode } from '../../src/errors.js';
import { createFileBackend } from '../../src/backends/file.js';
import { tempDir } from '../helpers/temp-dir.js';
import { assertWatchStopsOnAbortAndClose } from './watch-contract.js';

const sorted = (m: Map<string, string>) => Object.fromEntries([...m].sort());

test('file flattens YAML and JSON files from directories and files', async (t) => {
  const dir = await tempDir(t);
  await mkdir(join(dir, 'backends1', 'sub'), { recursive: true });
  await mkdir(join(dir, 'backends2'));
  await writeFile(
    join(dir, 'backends1', '1.yml'),
    'key: foobar\ndatabase:\n  host: 127.0.0.1\n  port: 3306\n',
  );
  await writeFile(
    join(dir, 'backends1', 'sub', '2.yaml'),
    'upstream:\n  app1: 10.0.1.10:8080\n  app2: 10.0.1.11:8080\nlist: [a, 2, 2.50, true, yes, ~]\n',
  );
  await writeFile(
    join(dir, 'backends2', '3.json'),
    '{"nested": {"app1": "x", "n": 1e3, "f": 0.1}}',
  );
  await writeFile(join(dir, 'single.yml'), 'database:\n  username: confd\n');
  const backend = createFileBackend({
    files: [join(dir, 'backends1'), join(dir, 'backends2'), join(dir, 'single.yml')],
  });
  t.after(() => backend.close());
  assert.deepEqual(sorted(await backend.getValues(['/'])), {
    '/database/host': '127.0.0.1',
    '/database/port': '3306',
    '/database/username': 'confd',
    '/key': 'foobar',
    '/list/0': 'a',
    '/list/1': '2',
    '/list/2': '2.5',
    '/list/3': 'true',
    '/list/4': 'true',
    '/nested/app1': 'x',
    '/nested/f': '0.1',
    '/nested/n': '1000',
    '/upstream/app1': '10.0.1.10:8080',
    '/upstream/app2': '10.0.1.11:8080',
  });
  // Plain string-prefix matching on the requested keys, as confd.
  assert.deepEqual(sorted(await backend.getValues(['/database/h', '/key'])), {
    '/database/host': '127.0.0.1',
    '/key': 'foobar',
  });
});

test('file -filter applies to names found in directories', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'a.yml'), 'a: 1\n');
  await writeFile(join(dir, 'b.json'), '{"b": 2}');
  await writeFile(join(dir, 'notes.txt'), 'not: yaml: at all: [');
  const backend = createFileBackend({ files: [dir], filter: '*.yml' });
  t.after(() => backend.close());
  assert.deepEqual(sorted(await backend.getValues(['/'])), { '/a': '1' });
});

test('file errors name the file: bad YAML, non-string keys, missing paths', async (t) => {
  const dir = await tempDir(t);
  const bad = join(dir, 'bad.yml');
  await writeFile(bad, 'a: [1\n');
  await assert.rejects(createFileBackend({ files: [bad] }).getValues(['/']), (err) => {
    assert.ok(isConfdError(err, ErrorCode.BACKEND_RESPONSE));
    assert.ok(err.message.startsWith(`${bad}: yaml:`), err.message);
    assert.match(err.message, /line 2/);
    return true;
  });
  const intKey = join(dir, 'int.yml');
  await writeFile(intKey, 'ports:\n  80: http\n');
  await assert.rejects(createFileBackend({ files: [intKey] }).getValues(['/']), (err) => {
    assert.ok(isConfdError(err, ErrorCode.BACKEND_RESPONSE));
    assert.equal(
      err.message,
      `${intKey}: map key integer 80 under /ports is not a string; quote it`,
    );
    return true;
  });
  const missing = join(dir, 'missing.yml');
  await assert.rejects(createFileBackend({ files: [missing] }).getValues(['/']), (err) => {
    assert.ok(isConfdError(err, ErrorCode.BACKEND_UNREACHABLE));
    assert.equal(err.message, `stat ${missing}: no such file or directory`);
    return true;
  });
});

test('file watchPrefix returns 1 first, then wakes on change, add and removal', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'a.yml');
  await writeFile(file, 'a: 1\n');
  const backend = createFileBackend({ files: [dir] });
  t.after(() => backend.close());
  const signal = AbortSignal.timeout(10_000);
  const first = await backend.watchPrefix('/', { keys: ['/a'], waitIndex: 0, signal });
  assert.equal(first, 1);

  const changed = backend.watchPrefix('/', { keys: ['/a'], waitIndex: first, signal });
  await writeFile(file, 'a: 2\n');
  const second = await changed;
  assert.ok(second > first);
  assert.equal((await backend.getValues(['/a'])).get('/a'), '2');

  const added = backend.watchPrefix('/', { keys: ['/a'], waitIndex: second, signal });
  await writeFile(join(dir, 'b.yml'), 'b: 1\n');
  const third = await added;
  assert.ok(third > second);

  const removed = backend.watchPrefix('/', { keys: ['/a'], waitIndex: third, signal });
  await rm(join(dir, 'b.yml'));
  assert.ok((await removed) > third);
});

test('file watchPrefix rejects with ABORTED on abort and after close', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'a.yml'), 'a: 1\n');
  const backend = createFileBackend({ files: [dir] });
  await assertWatchStopsOnAbortAndClose(backend);
});
