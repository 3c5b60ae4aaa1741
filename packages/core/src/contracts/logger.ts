/** Structured logging; the runtime and adapters log through it. The default writes nothing. */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};

/** One JSON object per line on stderr. */
export function consoleLogger(fields: Record<string, unknown> = {}): Logger {
  const write = (level: string) => (message: string, extra?: Record<string, unknown>) => {
    process.stderr.write(`${JSON.stringify({ level, message, ...fields, ...extra })}\n`);
  };
  return { debug: write("debug"), info: write("info"), warn: write("warn"), error: write("error") };
}
