import { describe, expect, it } from "vitest";
import { PeerAddresses } from "../../src/contracts/index.js";
import type { NodeId } from "../../src/engine/index.js";

const id = (n: number) => n as NodeId;

describe("PeerAddresses", () => {
  it("prefers membership, then configured, then learned addresses", () => {
    const book = new PeerAddresses(new Map([[id(2), "10.0.0.2:7000"]]));
    expect(book.learn(id(3), "10.0.0.3:7000")).toBe(true);
    expect(book.get(id(3))).toBe("10.0.0.3:7000");
    expect(book.learn(id(2), "10.9.9.2:7000")).toBe(false);
    expect(book.get(id(2))).toBe("10.0.0.2:7000");
    expect(
      book.update(
        new Map([
          [id(2), "10.0.1.2:7000"],
          [id(3), "10.0.1.3:7000"],
        ]),
      ),
    ).toEqual([2, 3]);
    expect([book.get(id(2)), book.get(id(3))]).toEqual(["10.0.1.2:7000", "10.0.1.3:7000"]);
    expect(book.isKnown(id(3))).toBe(true);
  });

  it("dials a peer through its dial override whatever membership, config or callers say", () => {
    const book = new PeerAddresses(
      new Map([[id(2), "10.0.0.2:7000"]]),
      new Map([
        [id(2), "127.0.0.1:9002"],
        [id(4), "127.0.0.1:9004"],
      ]),
    );
    expect(book.get(id(2))).toBe("127.0.0.1:9002");
    // The dial address does not change, so no link needs redialing.
    expect(
      book.update(
        new Map([
          [id(2), "10.0.1.2:7000"],
          [id(4), "10.0.1.4:7000"],
        ]),
      ),
    ).toEqual([]);
    expect(book.get(id(2))).toBe("127.0.0.1:9002");
    expect(book.get(id(4))).toBe("127.0.0.1:9004");
    // An override makes nobody known: who may call in is still decided by membership and config.
    expect(book.isKnown(id(4))).toBe(true);
    const fresh = new PeerAddresses(new Map(), new Map([[id(5), "127.0.0.1:9005"]]));
    expect(fresh.isKnown(id(5))).toBe(false);
    expect(fresh.learn(id(5), "10.0.0.5:7000")).toBe(false);
    expect(fresh.get(id(5))).toBe("127.0.0.1:9005");
    // Peers without an override keep their usual addresses.
    expect(book.learn(id(6), "10.0.0.6:7000")).toBe(true);
    expect(book.get(id(6))).toBe("10.0.0.6:7000");
  });
});
