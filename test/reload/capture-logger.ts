/** A real confd-format logger whose lines are collected as `LEVEL message` for assertions. */
import { createLogger, type Logger } from '../../src/log.js';

/** CapturedLogger is a debug-level Logger plus the lines it wrote. */
export interface CapturedLogger {
  logger: Logger;
  /** Every line as `LEVEL message` (the time, host and tag stripped). */
  lines: string[];
}

/** captureLogger builds a debug-level confd logger that records its lines. */
export function captureLogger(): CapturedLogger {
  const lines: string[] = [];
  const logger = createLogger({
    level: 'debug',
    write: (line) => {
      const m = /^\S+ \S+ \S+\[\d+\]: ([A-Z]+) ([\s\S]*)\n$/.exec(line);
      lines.push(m ? `${m[1]} ${m[2]}` : line);
    },
  });
  return { logger, lines };
}
