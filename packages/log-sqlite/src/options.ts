import { RaftError, silentLogger, type Logger } from "@raft/core/contracts";

/**
 * How hard a commit waits for the disk.
 * - `FULL`: the WAL is fsynced at every commit; a resolved `save()` survives
 *   a process crash and a power loss.
 * - `NORMAL`: no fsync at commit (only at checkpoints); a resolved `save()`
 *   survives a process crash, but a power loss or kernel crash can lose the
 *   last commits (never corrupt the file).
 */
export type SqliteSynchronous = "FULL" | "NORMAL";

/** What is checked when the file is opened: `quick` (PRAGMA quick_check), `full` (PRAGMA integrity_check), or nothing. */
export type SqliteIntegrityCheck = "quick" | "full" | "off";

export interface SqliteLogStoreOptions {
  /** The database file of one node; created (with its directory) when missing. */
  path: string;
  /** Default `FULL`. */
  synchronous?: SqliteSynchronous;
  /** How long `open` waits for another connection to release the file before failing. Default 1000. */
  busyTimeoutMs?: number;
  /** Default `quick`. */
  integrityCheck?: SqliteIntegrityCheck;
  /** Default silent. */
  logger?: Logger;
}

export type ResolvedOptions = Required<SqliteLogStoreOptions>;

const KNOWN = new Set(["path", "synchronous", "busyTimeoutMs", "integrityCheck", "logger"]);
const LOGGER_METHODS = ["debug", "info", "warn", "error"] as const;

/** Checks the options by hand (the package has no zod); a bad field throws `InvalidConfig` naming it. */
export function resolveOptions(options: SqliteLogStoreOptions): ResolvedOptions {
  if (typeof options !== "object" || options === null) throw invalid("options", "must be an object");
  // A misspelt option would otherwise fall back to its default without a word.
  for (const key of Object.keys(options)) if (!KNOWN.has(key)) throw invalid(key, "is not an option");
  const { path, synchronous = "FULL", busyTimeoutMs = 1000, integrityCheck = "quick", logger = silentLogger } = options;
  if (typeof path !== "string" || path.trim() === "") throw invalid("path", "must be a non-empty file path");
  if (path === ":memory:" || path.startsWith("file:")) throw invalid("path", `must be a plain file path (${JSON.stringify(path)} is not durable or not a file)`);
  if (synchronous !== "FULL" && synchronous !== "NORMAL") throw invalid("synchronous", `must be "FULL" or "NORMAL", not ${JSON.stringify(synchronous)}`);
  if (!Number.isSafeInteger(busyTimeoutMs) || busyTimeoutMs < 0 || busyTimeoutMs > 2 ** 31 - 1) {
    throw invalid("busyTimeoutMs", `must be an integer from 0 to ${2 ** 31 - 1}, not ${String(busyTimeoutMs)}`);
  }
  if (integrityCheck !== "quick" && integrityCheck !== "full" && integrityCheck !== "off") {
    throw invalid("integrityCheck", `must be "quick", "full" or "off", not ${JSON.stringify(integrityCheck)}`);
  }
  if (typeof logger !== "object" || logger === null || LOGGER_METHODS.some((m) => typeof logger[m] !== "function")) {
    throw invalid("logger", "must have debug, info, warn and error methods");
  }
  return { path, synchronous, busyTimeoutMs, integrityCheck, logger };
}

function invalid(field: string, problem: string): RaftError {
  return new RaftError("InvalidConfig", `invalid SqliteLogStore option ${field}: ${problem}`);
}
