import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseGoFlags, parseGoInt } from '../../src/cli/agent-flags.js';
import { agentFlags, resolveAgentConfig } from '../../src/cli/agent-config.js';
import { isConfdError, ErrorCode } from '../../src/errors.js';

function parse(args: string[]) {
  const r = parseGoFlags(args, agentFlags);
  if (!r.ok) throw new Error(r.help ? 'help' : r.error);
  return r;
}

test('Go flag syntax: -f v, -f=v, --f, bare and explicit booleans, repeatable lists', () => {
  const r = parse([
    '-data-dir',
    '/d',
    '--node=a=b',
    '-dev=false',
    '-server',
    '-config-file',
    'one.json',
    '--config-file=two.json',
    '-http-port=0x1f90',
  ]);
  assert.equal(r.values.get('data-dir'), '/d');
  assert.equal(r.values.get('node'), 'a=b');
  assert.equal(r.values.get('dev'), false);
  assert.equal(r.values.get('server'), true);
  assert.deepEqual(r.values.get('config-file'), ['one.json', 'two.json']);
  assert.equal(r.values.get('http-port'), 8080);
  assert.deepEqual(r.rest, []);
});

test('parsing stops at the first non-flag argument and after --', () => {
  assert.deepEqual(parse(['-dev', 'extra', '-server']).rest, ['extra', '-server']);
  assert.deepEqual(parse(['-dev', '--', '-server']).rest, ['-server']);
  assert.deepEqual(parse(['-dev', '-']).rest, ['-']);
});

test('errors read like Go: unknown, missing value, bad bool, bad int, bad syntax, help', () => {
  const error = (args: string[]) => {
    const r = parseGoFlags(args, agentFlags);
    return r.ok ? 'ok' : r.help ? 'help' : r.error;
  };
  assert.equal(error(['-nope']), 'flag provided but not defined: -nope');
  assert.equal(error(['-node']), 'flag needs an argument: -node');
  assert.equal(error(['-dev=maybe']), 'invalid boolean value "maybe" for -dev: parse error');
  assert.equal(
    error(['-http-port', '80x']),
    'invalid value "80x" for flag -http-port: parse error',
  );
  assert.equal(error(['---dev']), 'bad flag syntax: ---dev');
  assert.equal(error(['-=x']), 'bad flag syntax: -=x');
  assert.equal(error(['-help']), 'help');
  assert.equal(error(['--h']), 'help');
});

test('parseGoInt accepts Go integer literals', () => {
  assert.equal(parseGoInt('8500'), 8500);
  assert.equal(parseGoInt('1_000'), 1000);
  assert.equal(parseGoInt('0o17'), 15);
  assert.equal(parseGoInt('017'), 15);
  assert.equal(parseGoInt('0b101'), 5);
  assert.equal(parseGoInt('-3'), -3);
  assert.equal(parseGoInt('3.5'), undefined);
  assert.equal(parseGoInt(''), undefined);
});

test('config resolution: defaults, validation errors as CONFIG_INVALID', () => {
  const r = parse(['-dev']);
  const config = resolveAgentConfig(r.values, r.order);
  assert.equal(config.httpPort, 8500);
  assert.equal(config.clientAddr, '127.0.0.1');
  assert.equal(config.datacenter, 'dc1');
  assert.equal(config.dataDir, undefined);
  assert.equal(config.defaultQueryTimeMs, 300_000);
  assert.equal(config.maxQueryTimeMs, 600_000);
  for (const [args, message] of [
    [[], 'data_dir cannot be empty'],
    [
      ['-dev', '-log-level', 'loud'],
      'Invalid log level: "loud". Valid log levels are: [TRACE DEBUG INFO WARN ERR]',
    ],
    [['-dev', '-http-port', '70000'], 'http port 70000 is out of range (0-65535)'],
    [['-dev', '-datacenter', 'no dc'], 'datacenter cannot be "no dc". Please use only [a-z0-9-_]'],
    [['-dev', '-max-query-time', 'soon'], 'max_query_time: invalid duration "soon"'],
  ] as const) {
    const p = parse([...args]);
    assert.throws(
      () => resolveAgentConfig(p.values, p.order),
      (err) => isConfdError(err, ErrorCode.CONFIG_INVALID) && err.message === message,
      args.join(' '),
    );
  }
});
