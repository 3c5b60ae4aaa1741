import { describe, expect, it } from "vitest";
import type { OpenOptions, SnapshotStore } from "../../src/contracts/index.js";
import { manifest } from "../../src/conformance/snapshot-fixtures.js";
import { readSnapshot } from "../../src/runtime/snapshots/snapshot-writer.js";

/** A store that only opens files (one chunk of the file's name each), recording the options it was asked for. */
function recordingStore(calls: OpenOptions[]): SnapshotStore {
  return {
    open: async function* (_id: string, file: string, options: OpenOptions = {}) {
      calls.push(options);
      yield new TextEncoder().encode(file);
    },
  } as unknown as SnapshotStore;
}

async function names(files: ReturnType<typeof readSnapshot>): Promise<string[]> {
  const got: string[] = [];
  for await (const f of files) for await (const c of f.chunks) got.push(`${f.name}:${new TextDecoder().decode(c)}`);
  return got;
}

describe("readSnapshot", () => {
  const meta = manifest(5, 1, [
    ["a", new Uint8Array(3)],
    ["b", new Uint8Array(4)],
  ]);

  it("asks the store for reused buffers only for a state machine that reuses its restore buffers", async () => {
    const plain: OpenOptions[] = [];
    expect(await names(readSnapshot(recordingStore(plain), meta, 4096, {}))).toEqual(["a:a", "b:b"]);
    expect(plain).toEqual([
      { chunkSize: 4096, reuseBuffers: false },
      { chunkSize: 4096, reuseBuffers: false },
    ]);
    const reusing: OpenOptions[] = [];
    expect(await names(readSnapshot(recordingStore(reusing), meta, 4096, { reuseRestoreBuffers: true }))).toEqual(["a:a", "b:b"]);
    expect(reusing.every((o) => o.reuseBuffers === true)).toBe(true);
  });
});
