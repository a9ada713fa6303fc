/**
 * The agent's log lines, in Consul's (hclog) format on stdout:
 * `2025-01-02T03:04:05.678Z [INFO]  agent: message`.
 */
import type { LogLevel, Logger } from '../log.js';
import { levelLogger } from '../log.js';

/** AgentLogLevel is a Consul log level name (`-log-level`, `log_level`). */
export type AgentLogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

/** parseAgentLogLevel maps a Consul level name (any case; `err`, `warning` accepted) to ours. */
export function parseAgentLogLevel(name: string): AgentLogLevel | undefined {
  const lower = name.trim().toLowerCase();
  if (lower === 'err') return 'error';
  if (lower === 'warning') return 'warn';
  return ['trace', 'debug', 'info', 'warn', 'error'].includes(lower)
    ? (lower as AgentLogLevel)
    : undefined;
}

const ours: Record<AgentLogLevel, LogLevel> = {
  trace: 'trace',
  debug: 'debug',
  info: 'info',
  warn: 'warning',
  error: 'error',
};

const labels: Record<LogLevel, string> = {
  trace: '[TRACE]',
  debug: '[DEBUG]',
  info: '[INFO] ',
  warning: '[WARN] ',
  error: '[ERROR]',
  fatal: '[ERROR]',
  panic: '[ERROR]',
};

/** AgentLoggerOptions configures {@link createAgentLogger}. */
export interface AgentLoggerOptions {
  readonly level: AgentLogLevel;
  /** The subsystem name printed after the level, e.g. `agent`. */
  readonly name: string;
  readonly write: (line: string) => void;
  readonly now?: () => number;
}

/** createAgentLogger builds a Logger writing hclog-style lines. */
export function createAgentLogger(options: AgentLoggerOptions): Logger {
  const now = options.now ?? Date.now;
  return levelLogger(ours[options.level], (level, msg) => {
    options.write(`${new Date(now()).toISOString()} ${labels[level]} ${options.name}: ${msg}\n`);
  });
}
