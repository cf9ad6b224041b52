import { ConsoleLogger, type LogLevel } from '@nestjs/common';

/** JSON lines in production (LOG_FORMAT=json); Nest's console format otherwise. */
export class JsonLogger extends ConsoleLogger {
  protected override printMessages(messages: unknown[], context = '', logLevel: LogLevel = 'log'): void {
    for (const message of messages) {
      const base = { ts: new Date().toISOString(), level: logLevel, context, pid: process.pid };
      const body = typeof message === 'object' && message !== null ? { ...base, ...(message as object) } : { ...base, msg: String(message) };
      (logLevel === 'error' || logLevel === 'fatal' ? process.stderr : process.stdout).write(`${JSON.stringify(body)}\n`);
    }
  }
}
