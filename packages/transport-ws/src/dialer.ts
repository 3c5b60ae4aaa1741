import { formatAddress, parseAddress, RaftError, type NodeId } from "@raft/core/contracts";
import { WebSocket, type ClientOptions } from "ws";
import { checkAccepted, dialHeaders, HEADERS, SUBPROTOCOL, type LocalIdentity } from "./handshake.js";
import type { ResolvedOptions } from "./options.js";

/** Masking protects browsers' proxies from forged requests, not peers from each other: a zero mask lets ws skip the XOR on both ends. */
const zeroMask = (mask: Buffer) => mask.fill(0);

/**
 * Opens a WebSocket to `peer` at `address` and checks that the listener is
 * that node of this cluster. Rejects with `Unavailable` saying why: refused
 * (with the listener's reason), unreachable, TLS failure, or the wrong node.
 *
 * `adopt` runs synchronously on open: frames the listener sent right after
 * its 101 are emitted before any promise callback could attach a listener.
 */
export function dial<T>(peer: NodeId, address: string, local: LocalIdentity, o: ResolvedOptions, signal: AbortSignal, adopt: (ws: WebSocket) => T): Promise<T> {
  const hp = parseAddress(address);
  if (hp === undefined) return Promise.reject(new RaftError("Unavailable", `node ${peer} has no valid address (${address})`));
  const options: ClientOptions = {
    headers: dialHeaders(local, peer),
    maxPayload: o.maxFrameBytes,
    perMessageDeflate: false,
    handshakeTimeout: o.deadlines.connectMs,
    followRedirects: false,
    skipUTF8Validation: true,
    generateMask: zeroMask,
  };
  if (o.tls !== undefined) Object.assign(options, { ca: o.tls.ca, cert: o.tls.cert, key: o.tls.key }, o.tls.serverName === undefined ? {} : { servername: o.tls.serverName });
  const ws = new WebSocket(`${o.tls === undefined ? "ws" : "wss"}://${formatAddress(hp.host, hp.port)}/raft`, [SUBPROTOCOL], options);

  return new Promise<T>((resolve, reject) => {
    let failure: RaftError | undefined;
    const fail = (detail: string, cause?: unknown) => {
      failure ??= new RaftError("Unavailable", `cannot connect to node ${peer} at ${address}: ${detail}`, { cause });
    };
    const onAbort = () => {
      fail("the transport is closing");
      ws.terminate();
    };
    const cleanup = () => {
      signal.removeEventListener("abort", onAbort);
      ws.off("error", onError);
      ws.off("close", onClose);
    };
    const onError = (e: Error & { code?: string }) => fail(e.code ?? e.message, e);
    const onClose = () => {
      cleanup();
      reject(failure ?? new RaftError("Unavailable", `cannot connect to node ${peer} at ${address}: closed during the handshake`));
    };
    ws.on("error", onError);
    ws.on("close", onClose);
    ws.on("upgrade", (res) => {
      const problem = checkAccepted(res.headers, local, peer);
      if (problem !== undefined) {
        fail(problem);
        ws.terminate();
        res.socket.destroy(); // upgraded already: ws no longer owns it
      }
    });
    ws.on("unexpected-response", (_req, res) => {
      const reason = res.headers[HEADERS.reject];
      fail(`refused: HTTP ${res.statusCode ?? "?"}${typeof reason === "string" ? ` ${reason.slice(0, 64)}` : ""}`);
      res.resume();
      ws.terminate();
    });
    ws.once("open", () => {
      if (failure !== undefined) return;
      cleanup();
      try {
        resolve(adopt(ws));
      } catch (e) {
        reject(e);
      }
    });
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
  });
}
