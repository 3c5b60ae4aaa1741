import type { Logger, Message, NodeId } from "@raft/core/contracts";
import { afterEach } from "vitest";
import { WsTransport, type WsTransportOptions } from "../../src/index.js";
import { Index, Term } from "@raft/core/contracts";

export const CLUSTER = "test-cluster";

/** Options for node `id` on 127.0.0.1, a free port, short timers so tests run fast. */
export function baseOptions(id: NodeId, extra: Partial<WsTransportOptions> = {}): WsTransportOptions {
  return { id, clusterId: CLUSTER, listen: { host: "127.0.0.1", port: 0 }, reconnect: { minDelayMs: 10, maxDelayMs: 200 }, ...extra };
}

/** Transports for `ids`, each knowing the others' addresses. `dispose` closes them all (call it in `finally`). */
export async function listenAll(ids: readonly NodeId[], extra: (id: NodeId) => Partial<WsTransportOptions> = () => ({})): Promise<{ transports: Map<NodeId, WsTransport>; dispose(): Promise<void> }> {
  const transports = new Map<NodeId, WsTransport>();
  const dispose = async () => {
    await Promise.all([...transports.values()].map((t) => t.close()));
  };
  try {
    for (const id of ids) transports.set(id, await WsTransport.listen(baseOptions(id, extra(id))));
  } catch (e) {
    await dispose();
    throw e;
  }
  const book = new Map([...transports].map(([id, t]) => [id, t.address]));
  for (const t of transports.values()) t.updatePeers(book);
  return { transports, dispose };
}

export async function waitFor(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export const heartbeat = (from: NodeId, to: NodeId, round: number): Message => ({ type: "Heartbeat", from, to, term: Term.of(1), commit: Index.zero, round });

export interface LogLine {
  readonly level: "debug" | "info" | "warn" | "error";
  readonly message: string;
  readonly fields: Record<string, unknown>;
}

/** A logger that keeps every line, to assert what was logged. */
export function captureLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at =
    (level: LogLine["level"]) =>
    (message: string, fields: Record<string, unknown> = {}) =>
      void lines.push({ level, message, fields });
  return { lines, logger: { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") } };
}

/** The handlers of a transport that only collects messages. */
export function inbox(): { messages: Message[]; handlers: { onMessage(m: Message): void; onSnapshotRequest(): never } } {
  const messages: Message[] = [];
  return {
    messages,
    handlers: {
      onMessage: (m) => void messages.push(m),
      onSnapshotRequest: () => {
        throw new Error("serves no snapshots");
      },
    },
  };
}

/** What a test opened; call once per file: everything pushed is closed after each test, even a failed one. */
export function closedAfterEach(): { close(): Promise<void> | void }[] {
  const open: { close(): Promise<void> | void }[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((o) => o.close()));
  });
  return open;
}

/** A started transport for node `id` recording the messages it receives; pushed to `open` to be closed. */
export async function startedNode(open: { close(): Promise<void> | void }[], id: NodeId, extra: Partial<WsTransportOptions> = {}): Promise<{ t: WsTransport; messages: Message[] }> {
  const t = await WsTransport.listen(baseOptions(id, extra));
  open.push(t);
  const box = inbox();
  await t.start(box.handlers);
  return { t, messages: box.messages };
}
