/**
 * Logging in confd's format, without a dependency.
 *
 * Text lines copy confd's logrus formatter: `<RFC3339 local time> <hostname> <tag>[<pid>]: <LEVEL> <msg>`
 * on stderr, where tag is argv[0] verbatim as confd prints it. `json` gives one object a line.
 */
import { hostname as osHostname } from 'node:os';

/** LogLevels orders the level names confd (logrus) accepts, most verbose first. */
export const LogLevels = ['trace', 'debug', 'info', 'warning', 'error', 'fatal', 'panic'] as const;

/** LogLevel is one of {@link LogLevels}. */
export type LogLevel = (typeof LogLevels)[number];

/** LogFormat is the line format: confd's text or one JSON object a line. */
export type LogFormat = 'text' | 'json';

/** Logger is the interface every component receives through its options. */
export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
  /** fatal logs at FATAL; the caller decides to exit. */
  fatal(msg: string): void;
  /** enabled tells whether a level would be written (to skip building costly messages). */
  enabled(level: LogLevel): boolean;
}

/** LoggerOptions configures {@link createLogger}. */
export interface LoggerOptions {
  level?: LogLevel;
  format?: LogFormat;
  /** The program tag, confd prints argv[0] verbatim. Default `confd`. */
  tag?: string;
  hostname?: string;
  pid?: number;
  /** Where lines go. Default process.stderr. */
  write?: (line: string) => void;
  /** The clock. Default Date.now. */
  now?: () => number;
}

/** parseLogLevel maps a confd level name (with logrus' `warn` alias) to a LogLevel. */
export function parseLogLevel(name: string): LogLevel | undefined {
  const lower = name.toLowerCase();
  if (lower === 'warn') return 'warning';
  return (LogLevels as readonly string[]).includes(lower) ? (lower as LogLevel) : undefined;
}

/** formatRfc3339Local formats a time as Go's time.RFC3339 in local time, e.g. 2017-07-30T20:58:47+09:00. */
export function formatRfc3339Local(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  const offsetMin = -d.getTimezoneOffset();
  const zone =
    offsetMin === 0
      ? 'Z'
      : `${offsetMin > 0 ? '+' : '-'}${pad(Math.floor(Math.abs(offsetMin) / 60))}:${pad(Math.abs(offsetMin) % 60)}`;
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}` +
    `T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}${zone}`
  );
}

/** createLogger builds a Logger writing confd-format lines. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const format = options.format ?? 'text';
  const tag = options.tag ?? 'confd';
  const host = options.hostname ?? osHostname();
  const pid = options.pid ?? process.pid;
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const now = options.now ?? Date.now;

  return levelLogger(options.level ?? 'info', (level, msg) => {
    const time = formatRfc3339Local(now());
    if (format === 'json') {
      write(`${JSON.stringify({ time, host, tag, pid, level, msg })}\n`);
    } else {
      write(`${time} ${host} ${tag}[${pid}]: ${level.toUpperCase()} ${msg}\n`);
    }
  });
}

/**
 * levelLogger is the level filter every Logger shares: it calls `emit` for messages at `minLevel`
 * or above, so that a line format (confd's, the agent's hclog) only has to write one line.
 */
export function levelLogger(
  minLevel: LogLevel,
  emit: (level: LogLevel, msg: string) => void,
): Logger {
  const threshold = LogLevels.indexOf(minLevel);
  const enabled = (level: LogLevel) => LogLevels.indexOf(level) >= threshold;
  const log = (level: LogLevel, msg: string) => {
    if (enabled(level)) emit(level, msg);
  };
  return {
    debug: (msg) => log('debug', msg),
    info: (msg) => log('info', msg),
    warn: (msg) => log('warning', msg),
    error: (msg) => log('error', msg),
    fatal: (msg) => log('fatal', msg),
    enabled,
  };
}

/** silentLogger discards everything; for tests and embedding. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  fatal() {},
  enabled: () => false,
};

/** prefixedLogger writes through `logger` with `<prefix>: ` before every message. */
export function prefixedLogger(logger: Logger, prefix: string): Logger {
  const p = (msg: string) => `${prefix}: ${msg}`;
  return {
    debug: (msg) => logger.debug(p(msg)),
    info: (msg) => logger.info(p(msg)),
    warn: (msg) => logger.warn(p(msg)),
    error: (msg) => logger.error(p(msg)),
    fatal: (msg) => logger.fatal(p(msg)),
    enabled: (level) => logger.enabled(level),
  };
}
