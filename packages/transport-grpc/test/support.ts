import type { Logger, NodeId } from "@raft/core/contracts";
import { GrpcTransport, type GrpcTransportOptions } from "../src/index.js";

/** A logger that keeps what it is given, for assertions. */
export class RecordingLogger implements Logger {
  readonly lines: { level: string; message: string; fields: Record<string, unknown> }[] = [];
  debug(message: string, fields: Record<string, unknown> = {}): void {
    this.lines.push({ level: "debug", message, fields });
  }
  info(message: string, fields: Record<string, unknown> = {}): void {
    this.lines.push({ level: "info", message, fields });
  }
  warn(message: string, fields: Record<string, unknown> = {}): void {
    this.lines.push({ level: "warn", message, fields });
  }
  error(message: string, fields: Record<string, unknown> = {}): void {
    this.lines.push({ level: "error", message, fields });
  }
  withReason(reason: string): { level: string; message: string; fields: Record<string, unknown> }[] {
    return this.lines.filter((l) => l.fields.reason === reason);
  }
}

export type Extra = Omit<GrpcTransportOptions, "id" | "clusterId" | "listen" | "peers">;

/** Transports for `ids` on 127.0.0.1, each knowing the others' bound addresses. */
export async function listenAll(ids: readonly NodeId[], extra: (id: NodeId) => Extra = () => ({}), clusterId = "test"): Promise<Map<NodeId, GrpcTransport>> {
  const transports = new Map<NodeId, GrpcTransport>();
  try {
    for (const id of ids) transports.set(id, await GrpcTransport.listen({ id, clusterId, listen: { host: "127.0.0.1", port: 0 }, ...extra(id) }));
  } catch (e) {
    await Promise.all([...transports.values()].map((t) => t.close()));
    throw e;
  }
  for (const t of transports.values()) t.updatePeers(new Map([...transports].map(([id, other]) => [id, other.address])));
  return transports;
}

export async function closeAll(transports: Iterable<{ close(): Promise<void> }>): Promise<void> {
  await Promise.allSettled([...transports].map((t) => t.close()));
}

export async function waitFor(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
