import { describe, expect, it } from "vitest";
import { BufferPool } from "../../../src/contracts/index.js";

describe("BufferPool", () => {
  it("hands back a given buffer large enough, drops smaller ones, and keeps at most `keep`", () => {
    const pool = new BufferPool(2);
    const a = pool.take(10);
    const b = pool.take(20);
    const c = pool.take(30);
    expect(a.length).toBe(10);
    pool.give(a);
    pool.give(b);
    pool.give(c); // beyond keep: dropped
    expect(pool.take(15)).toBe(b);
    pool.give(b);
    expect(pool.take(25)).not.toBe(b); // b and a are too small: dropped, a new one
    expect(pool.take(1)).not.toBe(a); // nothing kept any more
  });
});
