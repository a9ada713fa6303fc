import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isConfdError, ErrorCode } from '../../src/errors.js';
import { createEnvBackend, envKeyOf, envNameOf } from '../../src/backends/env.js';

const env = {
  KEY: 'foobar',
  DATABASE_HOST: '127.0.0.1',
  DATABASE_PASSWORD: 'p@sSw0rd',
  DATABASE_PORT: '3306',
  DATABASE_USERNAME: 'confd',
  DATABASES_X: 'other',
  UPSTREAM_APP1: '10.0.1.10:8080',
  HOME: '/root',
  UNSET: undefined,
};

test('env maps keys to variable names and back as confd', () => {
  assert.equal(envNameOf('/database/host'), 'DATABASE_HOST');
  assert.equal(envNameOf('/upstream'), 'UPSTREAM');
  assert.equal(envKeyOf('DATABASE_HOST'), '/database/host');
  assert.equal(envKeyOf('MY_APP_PORT'), '/my/app/port'); // underscores cannot survive (#737)
});

test('env getValues returns every variable whose name starts with the key', async () => {
  const backend = createEnvBackend({ env });
  const vars = await backend.getValues(['/database/host', '/database/port', '/key', '/upstream']);
  assert.deepEqual(Object.fromEntries([...vars].sort()), {
    '/database/host': '127.0.0.1',
    '/database/port': '3306',
    '/key': 'foobar',
    '/upstream/app1': '10.0.1.10:8080',
  });
  // Plain name-prefix matching: /database also takes DATABASES_X.
  const all = await backend.getValues(['/database']);
  assert.equal(all.get('/databases/x'), 'other');
  assert.equal(all.size, 5);
  assert.equal((await backend.getValues(['/nothing'])).size, 0);
  await backend.close();
  await backend.close();
});

test('env watchPrefix renders once, then waits until aborted', async () => {
  const backend = createEnvBackend({ env });
  const controller = new AbortController();
  assert.equal(
    await backend.watchPrefix('/', { keys: ['/key'], waitIndex: 0, signal: controller.signal }),
    1,
  );
  const pending = backend.watchPrefix('/', {
    keys: ['/key'],
    waitIndex: 1,
    signal: controller.signal,
  });
  let settled = false;
  void pending.then(
    () => (settled = true),
    () => (settled = true),
  );
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(settled, false);
  controller.abort();
  await assert.rejects(pending, (err) => isConfdError(err, ErrorCode.ABORTED));
});
