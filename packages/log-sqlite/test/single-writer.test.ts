import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { SqliteLogStore } from "../src/index.js";
import { checkBuilt, childScript } from "./built.js";
import { NodeChild, stopAllChildren } from "@raft/core/testing";
import { entry, removeTempDirsAfterEach, tempDir, untext } from "./support.js";
import { Index } from "@raft/core/contracts";

// One writer per file, across real processes: the lock is SQLite's exclusive
// file lock, held by the open connection and released by the kernel when the
// process dies, so a crashed node never blocks its own restart.

removeTempDirsAfterEach();
afterEach(stopAllChildren);
beforeAll(() => checkBuilt("single-writer.test.ts"));

describe("one writer per log file, across processes", () => {
  it("refuses the file while another process holds it, and takes it once that process is killed", async () => {
    const path = join(await tempDir(), "log.db");
    const holder = new NodeChild(childScript, ["hold", path]);
    await holder.waitFor((line) => line === "ready", 1);
    expect(holder.lines, holder.stderr).toEqual(["ready"]);

    const refused = await SqliteLogStore.open({ path, busyTimeoutMs: 50 }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: "StorageFailure", message: `${path} is locked by another process or connection (still held after 50 ms); one writer per log file` });

    const { signal } = await holder.kill();
    expect(signal).toBe("SIGKILL");
    const store = await SqliteLogStore.open({ path, busyTimeoutMs: 0 });
    try {
      expect(await store.loadHardState()).toEqual({ term: 1, vote: 1, commit: 0 });
      expect(untext(store.entries(Index.of(1), Index.of(2), Infinity)[0]?.data)).toBe("held");
    } finally {
      await store.close();
    }
  });

  it("makes a second process fail to open a file this process holds, with a clear error naming it", async () => {
    const path = join(await tempDir(), "log.db");
    const store = await SqliteLogStore.open({ path });
    try {
      await store.save({ entries: [entry(1, 1)] });
      const other = new NodeChild(childScript, ["try-open", path]);
      const { code } = await other.closed;
      expect(code, other.stderr).toBe(0);
      expect(other.lines).toEqual([`refused StorageFailure ${path} is locked by another process or connection (still held after 100 ms); one writer per log file`]);
      // The refused opener changed nothing.
      expect([store.lastIndex(), store.entries(Index.of(1), Index.of(2), Infinity)[0]?.term]).toEqual([1, 1]);
      await store.save({ entries: [entry(2, 1)] });
    } finally {
      await store.close();
    }
    const after = new NodeChild(childScript, ["try-open", path]);
    await after.closed;
    expect(after.lines, after.stderr).toEqual(["opened"]);
  });
});
