import { describe, expect, it } from "vitest";
import { snapshotId, type SnapshotRequest, type Transport, type TransportHandlers } from "../contracts/index.js";
import { Index, isRaftError, NodeId, RaftError, Term, type Message } from "../engine/index.js";

export interface TransportFactory {
  /** Transports for `ids`, able to reach each other. */
  create(ids: readonly NodeId[]): Promise<{ transports: ReadonlyMap<number, Transport>; dispose(): Promise<void> }>;
  /** How many snapshot chunks the transport may buffer ahead of a slow reader. Default 16. */
  readonly maxBufferedChunks?: number;
}

// Real-looking ids: network transports validate requests before serving them.
const SNAPSHOT_ID = snapshotId(10, 2, "ab".repeat(32));
const MISSING_ID = snapshotId(11, 2, "cd".repeat(32));
const FILE = "state";

const heartbeat = (from: NodeId, to: NodeId, round: number): Message => ({ type: "Heartbeat", from, to, term: Term.of(1), commit: Index.zero, round });

type Serve = (request: SnapshotRequest, signal: AbortSignal) => AsyncIterable<Uint8Array>;

interface Inbox {
  messages: Message[];
  served: number;
  serverSignal?: AbortSignal;
}

function handlers(inbox: Inbox, serve?: (request: SnapshotRequest, signal: AbortSignal) => AsyncIterable<Uint8Array>): TransportHandlers {
  return {
    onMessage: (m) => inbox.messages.push(m),
    onSnapshotRequest: (_from, request, signal) => {
      inbox.serverSignal = signal;
      if (serve === undefined) throw new RaftError("NotFound", `this node serves no snapshot ${request.id}`);
      return serve(request, signal);
    },
  };
}

async function waitFor(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  if (!cond()) throw new Error(`timed out waiting for ${what}`);
}

/**
 * The `Transport` port's contract, as vitest tests: message delivery and
 * order, closing, and the snapshot stream (bytes, offsets, backpressure,
 * errors, cancellation). Runs over whatever the factory connects — real
 * sockets for network transports.
 */
export function runTransportContract(name: string, factory: TransportFactory): void {
  const window = factory.maxBufferedChunks ?? 16;

  describe(`Transport contract: ${name}`, () => {
    async function withPair(fn: (a: Transport, b: Transport, inboxA: Inbox, inboxB: Inbox, serveB: (s: Serve) => void) => Promise<void>): Promise<void> {
      const { transports, dispose } = await factory.create([NodeId.of(1), NodeId.of(2)]);
      const a = transports.get(NodeId.of(1)) as Transport;
      const b = transports.get(NodeId.of(2)) as Transport;
      const inboxA: Inbox = { messages: [], served: 0 };
      const inboxB: Inbox = { messages: [], served: 0 };
      let serve: Serve | undefined;
      try {
        await a.start(handlers(inboxA));
        await b.start(
          handlers(inboxB, (r, s) => {
            if (serve === undefined) throw new RaftError("NotFound", `no snapshot ${r.id}`);
            return serve(r, s);
          }),
        );
        await fn(a, b, inboxA, inboxB, (s) => {
          serve = s;
        });
      } finally {
        await dispose();
      }
    }

    it("delivers messages to their node, in the order sent", () =>
      withPair(async (a, b, inboxA, inboxB) => {
        a.send(Array.from({ length: 200 }, (_, i) => heartbeat(NodeId.of(1), NodeId.of(2), i)));
        b.send([heartbeat(NodeId.of(2), NodeId.of(1), 7)]);
        await waitFor(() => inboxB.messages.length === 200 && inboxA.messages.length === 1, "delivery");
        expect(inboxB.messages.map((m) => (m.type === "Heartbeat" ? m.round : -1))).toEqual(Array.from({ length: 200 }, (_, i) => i));
        expect(inboxA.messages[0]).toEqual(heartbeat(NodeId.of(2), NodeId.of(1), 7));
      }));

    it("carries entries with their bytes intact", () =>
      withPair(async (a, _b, _inboxA, inboxB) => {
        const data = Uint8Array.from({ length: 1000 }, (_, i) => i % 251);
        const append: Message = {
          type: "Append",
          from: NodeId.of(1),
          to: NodeId.of(2),
          term: Term.of(3),
          prevIndex: Index.of(4),
          prevTerm: Term.of(2),
          commit: Index.of(4),
          entries: [{ index: Index.of(5), term: Term.of(3), kind: "normal", data }],
        };
        a.send([append]);
        await waitFor(() => inboxB.messages.length === 1, "delivery");
        expect(inboxB.messages[0]).toEqual(append);
      }));

    it("never throws when sending to a node that is gone", () =>
      withPair(async (a) => {
        expect(() => a.send([heartbeat(NodeId.of(1), NodeId.of(99), 1)])).not.toThrow();
      }));

    it("stops delivering after close()", () =>
      withPair(async (a, b, _inboxA, inboxB) => {
        await b.close();
        a.send([heartbeat(NodeId.of(1), NodeId.of(2), 1)]);
        await new Promise((r) => setTimeout(r, 50));
        expect(inboxB.messages).toEqual([]);
      }));

    it("streams a snapshot file range byte for byte, from the requested offset", () =>
      withPair(async (a, _b, _inboxA, _inboxB, serveB) => {
        const file = Uint8Array.from({ length: 100_000 }, (_, i) => (i * 7) % 256);
        serveB(async function* (request) {
          for (let i = request.offset; i < file.length; i += request.chunkSize) yield file.slice(i, i + request.chunkSize);
        });
        const got: Uint8Array[] = [];
        for await (const chunk of a.fetchSnapshot(NodeId.of(2), { id: SNAPSHOT_ID, file: FILE, offset: 1234, chunkSize: 4096 }, new AbortController().signal)) got.push(chunk);
        expect(Buffer.concat(got).equals(Buffer.from(file.subarray(1234)))).toBe(true);
      }));

    it("is done with a snapshot chunk once it pulls the next: the source may reuse one buffer", () =>
      withPair(async (a, _b, _inboxA, _inboxB, serveB) => {
        const file = Uint8Array.from({ length: 200_000 }, (_, i) => Math.imul(i, 0x9e3779b1) >>> 24); // no two chunks alike
        serveB(async function* (request) {
          const buffer = new Uint8Array(request.chunkSize);
          for (let i = request.offset; i < file.length; i += request.chunkSize) {
            const chunk = buffer.subarray(0, Math.min(request.chunkSize, file.length - i));
            chunk.set(file.subarray(i, i + chunk.length));
            yield chunk;
            buffer.fill(0xee); // what a transport still holding the chunk would deliver
          }
        });
        // The reader keeps every chunk it was given, and reads slowly, so chunks wait in the transport.
        const got: Uint8Array[] = [];
        for await (const chunk of a.fetchSnapshot(NodeId.of(2), { id: SNAPSHOT_ID, file: FILE, offset: 0, chunkSize: 4096 }, new AbortController().signal)) {
          got.push(chunk);
          await new Promise((r) => setImmediate(r));
        }
        expect(Buffer.concat(got).equals(Buffer.from(file))).toBe(true);
      }));

    it("keeps each snapshot chunk intact until the next pull when the reader lets it reuse buffers", () =>
      withPair(async (a, _b, _inboxA, _inboxB, serveB) => {
        const file = Uint8Array.from({ length: 300_000 }, (_, i) => Math.imul(i + 1, 0x85ebca6b) >>> 24); // no two chunks alike
        serveB(async function* (request) {
          for (let i = request.offset; i < file.length; i += request.chunkSize) yield file.slice(i, i + request.chunkSize);
        });
        // A slow reader: while it holds a chunk, more arrive and wait in the transport.
        const got: Uint8Array[] = [];
        const request = { id: SNAPSHOT_ID, file: FILE, offset: 100, chunkSize: 4096 };
        for await (const chunk of a.fetchSnapshot(NodeId.of(2), request, new AbortController().signal, { reuseBuffers: true })) {
          await new Promise((r) => setTimeout(r, 1));
          got.push(chunk.slice());
        }
        expect(Buffer.concat(got).equals(Buffer.from(file.subarray(100)))).toBe(true);
      }));

    it("pulls snapshot chunks only as the reader consumes them (backpressure)", () =>
      withPair(async (a, _b, _inboxA, inboxB, serveB) => {
        serveB(async function* () {
          for (let i = 0; i < 1000; i++) {
            inboxB.served++;
            yield new Uint8Array(1024);
          }
        });
        const it = a.fetchSnapshot(NodeId.of(2), { id: SNAPSHOT_ID, file: FILE, offset: 0, chunkSize: 1024 }, new AbortController().signal)[Symbol.asyncIterator]();
        await it.next();
        await new Promise((r) => setTimeout(r, 100));
        expect(inboxB.served).toBeLessThanOrEqual(1 + window + 1);
        await it.return?.();
      }));

    it("passes the serving side's error code to the reader", () =>
      withPair(async (a) => {
        const err = await (async () => {
          for await (const _ of a.fetchSnapshot(NodeId.of(2), { id: MISSING_ID, file: FILE, offset: 0, chunkSize: 16 }, new AbortController().signal)) void _;
        })().catch((e: unknown) => e);
        expect(isRaftError(err) ? err.code : err).toBe("NotFound");
      }));

    it("cancels the serving side when the reader aborts", () =>
      withPair(async (a, _b, _inboxA, inboxB, serveB) => {
        serveB(async function* () {
          for (;;) {
            inboxB.served++;
            yield new Uint8Array(16);
            await new Promise((r) => setTimeout(r, 1));
          }
        });
        const abort = new AbortController();
        const reading = (async () => {
          let n = 0;
          for await (const _ of a.fetchSnapshot(NodeId.of(2), { id: SNAPSHOT_ID, file: FILE, offset: 0, chunkSize: 16 }, abort.signal)) if (++n === 5) abort.abort();
        })().catch(() => undefined);
        await reading;
        await waitFor(() => inboxB.serverSignal?.aborted === true, "the server to see the abort");
        const served = inboxB.served;
        await new Promise((r) => setTimeout(r, 50));
        expect(inboxB.served).toBeLessThanOrEqual(served + window + 1);
      }));

    it("rejects a fetch from an unreachable peer with Unavailable", () =>
      withPair(async (a, b) => {
        await b.close();
        const err = await (async () => {
          for await (const _ of a.fetchSnapshot(NodeId.of(2), { id: SNAPSHOT_ID, file: FILE, offset: 0, chunkSize: 16 }, new AbortController().signal)) void _;
        })().catch((e: unknown) => e);
        expect(isRaftError(err) ? err.code : err).toBe("Unavailable");
      }));
  });
}
