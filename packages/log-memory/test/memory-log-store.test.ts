import { runLogStoreContract } from "@raft/core/conformance";
import { describe, expect, it } from "vitest";
import { MemoryLogStore } from "../src/index.js";
import { Index, Term } from "@raft/core/contracts";

runLogStoreContract("MemoryLogStore", {
  durable: false,
  async create() {
    const store = new MemoryLogStore();
    return { store, dispose: () => store.close() };
  },
});

describe("MemoryLogStore", () => {
  it("copies payloads, so a reused caller buffer cannot change the log", async () => {
    const store = new MemoryLogStore();
    const data = new TextEncoder().encode("abc");
    await store.save({ entries: [{ index: Index.of(1), term: Term.of(1), kind: "normal", data }] });
    data[0] = 0x7a;
    expect(new TextDecoder().decode(store.entries(Index.of(1), Index.of(2), Infinity)[0]?.data)).toBe("abc");
  });

  it("refuses a non-contiguous batch with a typed error", async () => {
    const store = new MemoryLogStore();
    const e = (index: number) => ({ index: Index.of(index), term: Term.of(1), kind: "normal" as const, data: new Uint8Array(0) });
    await expect(store.save({ entries: [e(1), e(3)] })).rejects.toMatchObject({ code: "StorageFailure" });
    expect(store.lastIndex()).toBe(0);
  });

  it("refuses use after close", async () => {
    const store = new MemoryLogStore();
    await store.close();
    await expect(store.save({ entries: [] })).rejects.toMatchObject({ code: "StorageFailure" });
  });
});
