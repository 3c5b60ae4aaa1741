import { describe, expect, it } from "vitest";
import { ChunkBuffers } from "../../../src/contracts/index.js";

describe("ChunkBuffers", () => {
  it("copies arriving chunks, and reuses a lent buffer only once the reader gives it back", () => {
    const buffers = new ChunkBuffers();
    const arrived = Uint8Array.of(1, 2, 3);
    const first = buffers.copy(arrived);
    arrived.fill(9);
    expect([...first]).toEqual([1, 2, 3]);
    buffers.lend(first);
    const second = buffers.copy(Uint8Array.of(4, 5)); // the first is lent: a new buffer
    expect(second.buffer).not.toBe(first.buffer);
    expect([...first]).toEqual([1, 2, 3]);
    buffers.lend(second); // the reader pulled again: the first is free
    const third = buffers.copy(Uint8Array.of(6));
    expect(third.buffer).toBe(first.buffer);
    expect([...third]).toEqual([6]);
  });

  it("drops a free buffer too small for the next chunk", () => {
    const buffers = new ChunkBuffers();
    buffers.lend(buffers.copy(new Uint8Array(10)));
    buffers.giveBack();
    const big = buffers.copy(new Uint8Array(20));
    expect(big.length).toBe(20);
    buffers.lend(big);
    buffers.giveBack();
    expect(buffers.copy(new Uint8Array(5)).buffer).toBe(big.buffer);
  });
});
