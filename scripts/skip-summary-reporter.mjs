// A node:test reporter, used beside the normal one (see run-tests.mjs): counts the skipped tests
// by reason and, when any were skipped, prints at the end e.g.
//   18 tests skipped:
//     10 redis-server not installed (apt-get install redis-server)
// As `#` comments when stdout is not a terminal (then the normal reporter writes TAP).

/** skipSummary is the reporter: an async generator over the run's events. */
export default async function* skipSummary(source) {
  /** Skipped tests by reason, in the order the reasons first came. */
  const reasons = new Map();
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { skip } = event.data;
    if (skip === undefined || skip === false) continue;
    const reason = typeof skip === 'string' && skip !== '' ? skip : 'no reason given';
    reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
  }
  const total = [...reasons.values()].reduce((sum, n) => sum + n, 0);
  if (total === 0) return;
  const prefix = process.stdout.isTTY ? '' : '# ';
  const lines = [
    `${total} ${total === 1 ? 'test' : 'tests'} skipped:`,
    ...[...reasons].map(([reason, n]) => `  ${n} ${reason}`),
  ];
  yield `${process.stdout.isTTY ? '\n' : ''}${lines.map((l) => prefix + l).join('\n')}\n`;
}
