import { loggerOption, parseOptions } from "@raft/core/contracts";
import { z } from "zod";

/**
 * The options of `SqliteLogStore.open`, checked with zod: a bad or unknown
 * field throws `RaftError("InvalidConfig")` naming it.
 */
export const sqliteLogStoreOptionsSchema = z.strictObject({
  path: z
    .string()
    .trim()
    .min(1, "must be a non-empty file path")
    .refine((p) => p !== ":memory:" && !p.startsWith("file:"), "must be a plain file path (not :memory: nor a file: URI, which are not durable files)")
    .describe("the node's database file; it and its directory are created when missing"),
  synchronous: z
    .enum(["FULL", "NORMAL"])
    .default("FULL")
    .describe('"FULL": fsync at every commit, survives a power loss. "NORMAL": fsync only at checkpoints; survives a process crash, not a power loss (see Guarantees)'),
  busyTimeoutMs: z
    .number()
    .int()
    .min(0)
    .max(2 ** 31 - 1)
    .default(1000)
    .describe("how long open waits for another store to release the lock file before failing; also the busy timeout of both connections"),
  integrityCheck: z
    .enum(["quick", "full", "off"])
    .default("quick")
    .describe('on open: "quick" (PRAGMA quick_check), "full" (PRAGMA integrity_check, indexes and constraints too) or "off"; both read the whole file'),
  inlineWriteMaxEntries: z
    .number()
    .int()
    .min(0)
    .max(1024)
    .default(256)
    .describe(
      "a save a peer waits for (an acknowledgement or a vote: LogWrite.awaited) with at most this many entries, made while no write is in flight, commits on the calling thread instead of the writer thread, sparing the two thread wake-ups that would lengthen the wait and cost CPU; 0: every write goes to the writer thread",
    ),
  inlineWriteMaxBytes: z
    .number()
    .int()
    .min(0)
    .max(1 << 20)
    .default(64 * 1024)
    .describe("the most entry bytes such an inline save may carry (larger ones, a follower catching up, go to the writer thread)"),
  inlineWriteSlowMs: z
    .number()
    .int()
    .min(1)
    .max(60_000)
    .default(20)
    .describe("after an inline save that took longer than this (a disk busy with other writes), saves go to the writer thread for 2 s, so a slow fsync cannot hold the event loop save after save"),
  logger: loggerOption.describe("a Logger: info on open (path, first/last index, mode, time taken), error when a write fails"),
});

export type SqliteLogStoreOptions = z.input<typeof sqliteLogStoreOptionsSchema>;
export type ResolvedOptions = z.output<typeof sqliteLogStoreOptionsSchema>;

/**
 * How hard a commit waits for the disk.
 * - `FULL`: the WAL is fsynced at every commit; a resolved `save()` survives
 *   a process crash and a power loss.
 * - `NORMAL`: no fsync at commit (only at checkpoints); a resolved `save()`
 *   survives a process crash, but a power loss or kernel crash can lose the
 *   last commits (never corrupt the file).
 */
export type SqliteSynchronous = ResolvedOptions["synchronous"];

/** What is checked when the file is opened: `quick` (PRAGMA quick_check), `full` (PRAGMA integrity_check), or nothing. */
export type SqliteIntegrityCheck = ResolvedOptions["integrityCheck"];

export function resolveOptions(options: SqliteLogStoreOptions): ResolvedOptions {
  return parseOptions(sqliteLogStoreOptionsSchema, options, "SqliteLogStore options");
}
