import { join } from "node:path";
import type { LogStore } from "@raft/core/contracts";
import { MemoryLogStore } from "@raft/log-memory";
import { SqliteLogStore } from "@raft/log-sqlite";

/** The node's log: a SQLite file in its directory, or memory (lost on exit). */
export async function openLog(kind: "sqlite" | "memory", dir: string): Promise<LogStore> {
  return kind === "sqlite" ? SqliteLogStore.open({ path: join(dir, "raft.db") }) : new MemoryLogStore();
}
