/** Every error code in src/errors.ts has a row in docs/errors.md, and the doc lists no other. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode, ConfdError, isConfdError } from '../src/errors.js';
import { repoRoot } from './helpers/paths.js';

test('docs/errors.md documents exactly the registered codes', () => {
  const doc = readFileSync(join(repoRoot, 'docs', 'errors.md'), 'utf8');
  const documented = [...doc.matchAll(/^\|\s*`(CFD_ERR_[A-Z_]+)`/gm)].map((m) => m[1]).sort();
  assert.deepEqual(documented, Object.values(ErrorCode).sort());
});

test('ConfdError keeps its code and cause', () => {
  const cause = new Error('disk full');
  const err = new ConfdError(ErrorCode.STORE_IO, 'write failed', { cause });
  assert.equal(err.code, 'CFD_ERR_STORE_IO');
  assert.equal(err.cause, cause);
  assert.ok(isConfdError(err, ErrorCode.STORE_IO));
  assert.ok(!isConfdError(err, ErrorCode.STORE_CLOSED));
  assert.ok(!isConfdError(cause));
});
