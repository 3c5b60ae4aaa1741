import { cpSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { isRaftError } from "@raft/core/contracts";
import { describe, expect, it } from "vitest";
import { DiskSnapshotStore, type DiskSnapshotStoreFaults } from "../src/index.js";
import { bytes, codeOf, draft, entries, enospc, manifest, take, tempDir } from "./support.js";

// A crash is captured in-process: a fault hook copies the directory at that
// instant (what a power cut would leave) and fails the commit; the copy is
// then opened as the restarted node would.

const A = bytes(4000, 1);
const B = bytes(900, 2);

async function withDirs(fn: (dir: string, crashDir: string) => Promise<void>): Promise<void> {
  const [a, b] = [await tempDir(), await tempDir()];
  try {
    await fn(a.dir, b.dir);
  } finally {
    await a.remove();
    await b.remove();
  }
}

/** Faults that fire once `arm()` is called, at `point`, running `then`. */
function armed(point: keyof DiskSnapshotStoreFaults, then: (path: string) => void) {
  let on = false;
  const faults: DiskSnapshotStoreFaults = {
    [point]: (path: string) => {
      if (on) then(path);
    },
  };
  return { faults, arm: () => (on = true), disarm: () => (on = false) };
}

describe("DiskSnapshotStore under crashes and failures", () => {
  for (const point of ["beforeRename", "afterRename"] as const) {
    it(`a crash ${point === "beforeRename" ? "before" : "after"} the publishing rename leaves the old snapshots, and the new one whole or absent`, () =>
      withDirs(async (dir, crashDir) => {
        const f = armed(point, () => {
          cpSync(dir, crashDir, { recursive: true });
          throw new Error("simulated power cut");
        });
        const store = await DiskSnapshotStore.open({ dir, faults: f.faults });
        const previous = await take(store, 1, { "state.bin": A });
        f.arm();
        const w = await store.create(draft(2));
        await w.write("state.bin", B);
        await w.write("extra.bin", A);
        expect(await codeOf(w.commit())).toBe("StorageFailure");
        // The live store rolled back: nothing new visible, no debris.
        expect(await store.list()).toEqual([previous]);
        expect(await entries(join(dir, "tmp"))).toEqual([]);
        expect(await entries(join(dir, "snapshots"))).toEqual([previous.id]);
        f.disarm();
        await take(store, 3, { "state.bin": B });
        await store.close();

        const restarted = await DiskSnapshotStore.open({ dir: crashDir });
        const list = await restarted.list();
        expect(list.at(-1)).toEqual(previous);
        await restarted.verify(previous.id);
        expect(list.length).toBe(point === "beforeRename" ? 1 : 2);
        for (const m of list) await restarted.verify(m.id);
        if (list.length === 2) expect(list[0]).toMatchObject({ index: 2, files: [{ name: "state.bin" }, { name: "extra.bin" }] });
        expect(await entries(join(crashDir, "tmp"))).toEqual([]);
        await restarted.close();
      }));
  }

  it("a reception interrupted while publishing resumes complete after the restart", () =>
    withDirs(async (dir, crashDir) => {
      const f = armed("beforeRename", () => {
        cpSync(dir, crashDir, { recursive: true });
        throw new Error("simulated power cut");
      });
      const store = await DiskSnapshotStore.open({ dir, faults: f.faults });
      const meta = manifest(7, 2, { "state.bin": A, "index.json": B });
      const { writer } = await store.receive(meta);
      await writer.write("state.bin", A);
      await writer.write("index.json", B);
      await writer.flush();
      f.arm();
      expect(await codeOf(writer.commit())).toBe("StorageFailure");
      await store.close();

      const restarted = await DiskSnapshotStore.open({ dir: crashDir });
      expect(await restarted.list()).toEqual([]);
      const again = await restarted.receive(meta);
      expect(Object.fromEntries(again.progress)).toEqual({ "state.bin": A.length, "index.json": B.length });
      expect(await again.writer.commit()).toEqual(meta);
      await restarted.verify(meta.id);
      await restarted.close();
    }));

  it("maps a full disk while writing to DiskFull, naming the path, and keeps what was there", () =>
    withDirs(async (dir) => {
      const f = armed("beforeWrite", (path) => {
        throw enospc(path);
      });
      const store = await DiskSnapshotStore.open({ dir, faults: f.faults });
      const previous = await take(store, 1, { "state.bin": A });
      f.arm();
      const w = await store.create(draft(2));
      const e = await w.write("state.bin", B).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(isRaftError(e, "DiskFull")).toBe(true);
      expect((e as Error).message).toContain(join("files", "state.bin"));
      expect(((e as Error).cause as { code?: string }).code).toBe("ENOSPC");
      await w.abort();
      expect(await store.list()).toEqual([previous]);
      await store.verify(previous.id);
      f.disarm();
      await take(store, 2, { "state.bin": B });
      expect((await store.list()).length).toBe(2);
      await store.close();
    }));

  it("maps a full disk at commit to DiskFull, leaving no new snapshot and no debris", () =>
    withDirs(async (dir) => {
      const f = armed("beforeRename", (path) => {
        throw enospc(path);
      });
      const store = await DiskSnapshotStore.open({ dir, faults: f.faults });
      const previous = await take(store, 1, { "state.bin": A });
      f.arm();
      const w = await store.create(draft(2));
      await w.write("state.bin", B);
      expect(await codeOf(w.commit())).toBe("DiskFull");
      expect(await codeOf(w.write("state.bin", B))).toBe("Aborted");
      expect(await store.list()).toEqual([previous]);
      expect(await entries(join(dir, "tmp"))).toEqual([]);
      await store.close();
      const again = await DiskSnapshotStore.open({ dir });
      expect(await again.list()).toEqual([previous]);
      await again.verify(previous.id);
      await again.close();
    }));

  it("a reception whose commit fails for lack of space keeps its data and commits on retry", () =>
    withDirs(async (dir) => {
      const f = armed("beforeRename", (path) => {
        throw enospc(path);
      });
      const store = await DiskSnapshotStore.open({ dir, faults: f.faults });
      const meta = manifest(7, 2, { "state.bin": A });
      const { writer } = await store.receive(meta);
      await writer.write("state.bin", A);
      f.arm();
      expect(await codeOf(writer.commit())).toBe("DiskFull");
      f.disarm();
      expect(await writer.commit()).toEqual(meta);
      await store.verify(meta.id);
      await store.close();
    }));

  it("a flush killed before its rename leaves progress.json.tmp behind; committing does not publish it", async () => {
    const { dir, remove } = await tempDir();
    try {
      const store = await DiskSnapshotStore.open({ dir });
      const meta = manifest(7, 1, { data: A });
      const { writer } = await store.receive(meta);
      await writer.write("data", A.subarray(0, 1000));
      await writer.flush();
      // What a crash between writing and renaming the progress file leaves.
      await writeFile(join(dir, "partial", meta.id, "progress.json.tmp"), "{ half written");
      await writer.write("data", A.subarray(1000));
      await writer.commit();
      expect((await entries(join(dir, "snapshots", meta.id))).sort()).toEqual(["files", "manifest.json"]);
      await store.verify(meta.id);
      await store.close();
    } finally {
      await remove();
    }
  });
});
