/** renderCommand substitutes {{.src}} and {{.dest}} the way confd's Go template would. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderCommand } from '../../src/reload/render-command.js';

test('renderCommand substitutes src and dest, with spaces and trim markers', () => {
  const vars = { src: '/etc/.nginx.conf123', dest: '/etc/nginx.conf' };
  const table: [string, string][] = [
    ['nginx -t -c {{.src}}', 'nginx -t -c /etc/.nginx.conf123'],
    ['cp {{ .src }} {{.dest}}.bak', 'cp /etc/.nginx.conf123 /etc/nginx.conf.bak'],
    ['echo x{{- .dest -}} y', 'echo x/etc/nginx.confy'],
    ['echo {{.src}}{{.src}}', 'echo /etc/.nginx.conf123/etc/.nginx.conf123'],
    ['service nginx reload', 'service nginx reload'],
    ['echo {{.other}} {{src}}', 'echo {{.other}} {{src}}'],
    ['echo $(( 1 + 2 ))', 'echo $(( 1 + 2 ))'],
  ];
  for (const [cmd, want] of table) assert.equal(renderCommand(cmd, vars), want, cmd);
});

test('renderCommand inserts values literally (no $& replacement patterns)', () => {
  assert.equal(renderCommand('cat {{.src}}', { src: '/tmp/$&x', dest: '' }), 'cat /tmp/$&x');
});
