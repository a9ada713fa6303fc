import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, relative } from 'node:path';
import { parseFlags, programTag, usageText } from '../../src/cli/confd.js';
import { confdBin } from '../helpers/paths.js';

function confd(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [confdBin, ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', ...env },
    timeout: 10_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('Go-style flags: -f v, -f=v, --f, bare and =false booleans, repeatable lists', () => {
  const r = parseFlags([
    '-backend',
    'consul',
    '--node=a:1',
    '-node',
    'b:2',
    '-watch',
    '--onetime=false',
    '-interval=0x10',
    '-log-level',
    'debug',
    '-wait=1s:3s',
    'rest',
    '-noop',
  ]);
  assert.equal(r.kind, 'ok');
  assert.ok(r.kind === 'ok');
  assert.deepEqual(r.settings, {
    backend: 'consul',
    nodes: ['a:1', 'b:2'],
    watch: true,
    onetime: false,
    interval: 16,
    logLevel: 'debug',
    wait: '1s:3s',
  });
  // Parsing stops at the first non-flag, as Go's flag package does.
  assert.deepEqual(r.args, ['rest', '-noop']);
});

test('Go-style flag errors carry Go texts', () => {
  assert.deepEqual(parseFlags(['-x']), {
    kind: 'error',
    message: 'flag provided but not defined: -x',
  });
  assert.deepEqual(parseFlags(['-backend']), {
    kind: 'error',
    message: 'flag needs an argument: -backend',
  });
  assert.deepEqual(parseFlags(['-interval', 'abc']), {
    kind: 'error',
    message: 'invalid value "abc" for flag -interval: parse error',
  });
  assert.deepEqual(parseFlags(['-watch=maybe']), {
    kind: 'error',
    message: 'invalid boolean value "maybe" for -watch: parse error',
  });
  assert.deepEqual(parseFlags(['---x']), { kind: 'error', message: 'bad flag syntax: ---x' });
  assert.deepEqual(parseFlags(['-command-timeout', '10']), {
    kind: 'error',
    message: 'invalid value "10" for flag -command-timeout: parse error',
  });
  assert.deepEqual(parseFlags(['-h']), { kind: 'help' });
  assert.deepEqual(parseFlags(['--help']), { kind: 'help' });
  // "--" ends the flags.
  const r = parseFlags(['-noop', '--', '-x']);
  assert.ok(r.kind === 'ok');
  assert.deepEqual(r.args, ['-x']);
});

test('usage lists every confd flag in Go PrintDefaults form', () => {
  const text = usageText('confd');
  assert.match(text, /^Usage of confd:\n/);
  for (const flag of [
    'backend',
    'node',
    'confdir',
    'config-file',
    'interval',
    'watch',
    'onetime',
    'noop',
    'prefix',
    'sync-only',
    'keep-stage-file',
    'log-level',
    'scheme',
    'client-cert',
    'client-key',
    'client-ca-keys',
    'basic-auth',
    'username',
    'password',
    'auth-token',
    'file',
    'filter',
    'separator',
    'srv-domain',
    'srv-record',
    'table',
    'version',
    'app-id',
    'auth-type',
    'role-id',
    'secret-id',
    'user-id',
    'path',
    'data-dir',
    'store-addr',
    'wait',
    'log-format',
    'command-timeout',
  ]) {
    assert.match(text, new RegExp(`\\n  -${flag}( [a-z]+)?\\n    \\t`), flag);
  }
  assert.match(text, /\n {2}-interval int\n {4}\t.*\(default 600\)/);
  assert.match(text, /\n {2}-confdir string\n {4}\t.*\(default "\/etc\/confd"\)/);
  assert.match(text, /\n {2}-node value\n/);
});

test('confd -x prints the Go error and usage and exits 2', () => {
  const r = confd(['-x']);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^flag provided but not defined: -x\nUsage of .*confd:\n/);
});

test('confd -h prints usage to stderr and exits 0; -version prints to stdout', () => {
  const help = confd(['-h']);
  assert.equal(help.code, 0);
  // Go's flag usage: flags sorted by name, each `  -name type` then a tab-indented line.
  assert.match(help.stderr, /^Usage of .*confd:\n {2}-advertise string\n/);
  assert.match(help.stderr, /\n {2}-app-id string\n {4}\tVault app-id/);
  const version = confd(['-version']);
  assert.equal(version.code, 0);
  assert.match(version.stdout, /^confd \d+\.\d+\.\d+\S* \(.+\)\n$/);
  assert.equal(version.stderr, '');
});

test('confd -log-level xyz is FATAL with logrus text and exit 1', () => {
  const r = confd(['-log-level', 'xyz', '-config-file', '/nonexistent/confd.toml']);
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d) \S+ \S*confd\[\d+\]: FATAL not a valid level: "xyz"\n$/,
  );
});

test('the log tag is argv[0] as typed: bare "confd" when the shell found it through PATH', () => {
  const binDir = dirname(confdBin);
  const io = (env: Record<string, string>) => ({
    stdout: () => {},
    stderr: () => {},
    env,
    argv0: confdBin,
    readStdin: () => Promise.resolve(Buffer.alloc(0)),
  });
  assert.equal(programTag(io({ _: confdBin, PATH: `/usr/bin:${binDir}` })), 'confd');
  const typed = `./${relative(process.cwd(), confdBin)}`;
  assert.equal(programTag(io({ _: typed, PATH: '/usr/bin' })), typed);
  assert.equal(programTag(io({ _: confdBin, PATH: '/usr/bin' })), confdBin);
  // $_ naming another program (e.g. node itself) is ignored.
  assert.equal(programTag(io({ _: process.execPath, PATH: '/usr/bin' })), confdBin);
  assert.equal(programTag(io({})), confdBin);
  const r = confd(['-onetime', '-confdir', '/nonexistent', '-config-file', '/nonexistent'], {
    _: confdBin,
    PATH: `${binDir}:${process.env.PATH ?? ''}`,
  });
  assert.match(r.stderr, /^\S+ \S+ confd\[\d+\]: INFO Backend set to embedded\n/);
});
