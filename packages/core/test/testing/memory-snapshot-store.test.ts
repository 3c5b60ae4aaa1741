import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { manifestDigest, snapshotId } from "../../src/contracts/index.js";
import { runSnapshotStoreContract } from "../../src/conformance/index.js";
import { MemorySnapshotStore } from "../../src/testing/index.js";
import { Index, NodeId, Term } from "../../src/engine/index.js";

runSnapshotStoreContract("MemorySnapshotStore", {
  durable: false,
  async create() {
    const store = new MemorySnapshotStore();
    return { store, dispose: () => store.close() };
  },
  corrupt: async (store, id, file) => (store as MemorySnapshotStore).corrupt(id, file),
});

const draft = { index: Index.of(7), term: Term.of(2), membership: { voters: [1, 2, 3].map(NodeId.of), learners: [] } };
const data = new TextEncoder().encode("the state at index 7");

function meta(files: Record<string, Uint8Array>) {
  const list = Object.entries(files).map(([name, b]) => ({ name, size: b.length, sha256: createHash("sha256").update(b).digest("hex") }));
  const sha256 = manifestDigest(list);
  return { id: snapshotId(9, 3, sha256), index: Index.of(9), term: Term.of(3), membership: draft.membership, files: list, size: list.reduce((n, f) => n + f.size, 0), sha256, createdAt: 5 };
}

async function codeOf(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => "resolved",
    (e: { code?: unknown }) => e.code,
  );
}

describe("MemorySnapshotStore", () => {
  it("stamps createdAt from the injected clock", async () => {
    const store = new MemorySnapshotStore({ now: () => 1234 });
    const w = await store.create(draft);
    await w.write("state", data);
    expect((await w.commit()).createdAt).toBe(1234);
  });

  it("copies written chunks, so a reused caller buffer cannot change the snapshot", async () => {
    const store = new MemorySnapshotStore();
    const w = await store.create(draft);
    const buf = data.slice();
    await w.write("state", buf);
    buf.fill(0);
    const { id } = await w.commit();
    await store.verify(id);
  });

  it("corrupt() damages one snapshot's file, even one shared with a received snapshot", async () => {
    const store = new MemorySnapshotStore();
    const w = await store.create(draft);
    await w.write("state", data);
    await w.write("empty", new Uint8Array(0));
    const taken = await w.commit();
    const m = meta({ state: data });
    const { writer, progress } = await store.receive(m);
    expect(progress.get("state")).toBe(data.length); // shared with `taken`
    await writer.commit();
    store.corrupt(taken.id, "state");
    expect(await codeOf(store.verify(taken.id))).toBe("Corrupt");
    await store.verify(m.id);
    store.corrupt(taken.id, "empty");
    await expect(store.verify(taken.id)).rejects.toThrow(/empty|state/);
    expect(() => store.corrupt(taken.id, "nope")).toThrow(expect.objectContaining({ code: "NotFound" }));
  });

  it("crash() drops open writers and unflushed bytes, and keeps committed snapshots and flushed progress", async () => {
    const store = new MemorySnapshotStore();
    const kept = await store.create(draft);
    await kept.write("state", data);
    const committed = await kept.commit();
    const local = await store.create({ ...draft, index: Index.of(8) });
    await local.write("state", data);
    await local.flush();
    const big = new Uint8Array(100).fill(7);
    const m = meta({ big });
    const { writer } = await store.receive(m);
    await writer.write("big", big.subarray(0, 40));
    await writer.flush();
    await writer.write("big", big.subarray(40, 70));

    store.crash();

    for (const w of [local, writer]) {
      expect(await codeOf(w.write("state", data))).toBe("Aborted");
      expect(await codeOf(w.flush())).toBe("Aborted");
      expect(await codeOf(w.commit())).toBe("Aborted");
    }
    expect(await store.list()).toEqual([committed]);
    await store.verify(committed.id);
    const again = await store.receive(m);
    expect(again.progress.get("big")).toBe(40);
    await again.writer.write("big", big.subarray(40));
    expect(await again.writer.commit()).toEqual(m);
  });

  it("refuses use after close", async () => {
    const store = new MemorySnapshotStore();
    const w = await store.create(draft);
    await store.close();
    expect(await codeOf(store.create(draft))).toBe("StorageFailure");
    expect(await codeOf(store.list())).toBe("StorageFailure");
    expect(await codeOf(w.write("state", data))).toBe("Aborted");
  });
});
