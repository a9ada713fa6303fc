/** formatFileMode reproduces the Go os.FileMode formatting that confd's log lines use. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatFileMode } from '../../src/reload/go-format.js';

test('formatFileMode matches Go os.FileMode.String', () => {
  const table: [number, string][] = [
    [0o100644, '-rw-r--r--'],
    [0o100600, '-rw-------'],
    [0o100204, '--w----r--'],
    [0o040755, 'drwxr-xr-x'],
    [0o104755, 'urwxr-xr-x'],
    [0o102644, 'grw-r--r--'],
    [0o041777, 'dtrwxrwxrwx'],
    [0o120777, 'Lrwxrwxrwx'],
    [0o010644, 'prw-r--r--'],
    [0o020666, 'Dcrw-rw-rw-'],
    [0o0644, '-rw-r--r--'],
  ];
  for (const [input, want] of table) assert.equal(formatFileMode(input), want, input.toString(8));
});
