/**
 * The example in the repository (conf.d/nginx.toml + templates/nginx.conf.tmpl), as `npm start`
 * runs it: `confd -confdir <repo> -watch` on the embedded store, dest relative to the cwd.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { repoRoot } from '../helpers/paths.js';
import { tempDir } from '../helpers/temp-dir.js';
import { eventually, runConfd, startConfd } from './confd-process.js';

const noConfig = ['-config-file', '/nonexistent/confd.toml'];

test('the example renders before any key is set, into the working directory', async (t) => {
  const cwd = await tempDir(t);
  const r = await runConfd(['-onetime', '-confdir', repoRoot, ...noConfig], { cwd });
  assert.equal(r.code, 0, r.stderr);
  const text = await readFile(join(cwd, 'nginx.conf'), 'utf8');
  assert.match(text, /proxy_pass http:\/\/www\.example\.com;/);
  assert.match(text, /listen 8080;/);
  assert.ok(r.lines.includes('INFO Target config nginx.conf has been updated'), r.stderr);
});

test('the example under -watch: curl -X PUT -d google.com .../v1/kv/nginx/http/server/proxy', async (t) => {
  const cwd = await tempDir(t);
  const confd = startConfd(
    t,
    [
      '-confdir',
      repoRoot,
      '-watch',
      '-store-addr',
      '127.0.0.1:0',
      '-log-level',
      'debug',
      ...noConfig,
    ],
    { cwd },
  );
  const m = await confd.waitForLine(/^INFO Store HTTP API listening on (\S+):(\d+)$/);
  const dest = join(cwd, 'nginx.conf');
  await eventually(async () =>
    (await readFile(dest, 'utf8').catch(() => '')).includes('www.example.com;'),
  );
  const res = await fetch(`http://${m[1]}:${m[2]}/v1/kv/nginx/http/server/proxy`, {
    method: 'PUT',
    body: 'google.com',
  });
  assert.equal(await res.text(), 'true');
  await eventually(async () =>
    (await readFile(dest, 'utf8')).includes('proxy_pass http://www.google.com;'),
  );
  await confd.waitForLine(/^DEBUG "reloaded\\n"$/);
  assert.equal(await confd.stop('SIGINT'), 0);
});
