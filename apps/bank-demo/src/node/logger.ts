import pino from "pino";
import type { Logger } from "@raft/core/contracts";

/** Fields never written to logs, wherever they appear. */
const redact = ["token", "*.token", "auth", "*.auth", "key", "*.key", "secret", "*.secret"];

/** pino (one JSON line per event on stdout) behind the library's `Logger` port. */
export function createLogger(level: string, bindings: Record<string, unknown>): { logger: Logger; pino: pino.Logger } {
  const base = pino({ level, redact: { paths: redact, censor: "[redacted]" } }).child(bindings);
  const logger: Logger = {
    debug: (message, fields) => base.debug(fields ?? {}, message),
    info: (message, fields) => base.info(fields ?? {}, message),
    warn: (message, fields) => base.warn(fields ?? {}, message),
    error: (message, fields) => base.error(fields ?? {}, message),
  };
  return { logger, pino: base };
}
