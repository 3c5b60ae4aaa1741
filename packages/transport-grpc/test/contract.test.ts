import { runTransportContract } from "@raft/core/conformance";
import { makeCa, makeNodeCert } from "./certs.js";
import { closeAll, listenAll } from "./support.js";

// What a snapshot fetch may hold ahead of its reader: `snapshotWindowChunks`
// chunks plus one held back by the read gate; then, counted in bytes, the
// HTTP/2 flow-control window and Node's 16 KiB stream buffer on the reading
// side; then the 4 chunks the serving side has in writing. The contract reads
// 1 KiB chunks, so the byte window is set to its smallest to keep the bound
// tight (a fetch of 1 MiB chunks with the defaults holds at most 4 + 1 + 8 + 4 of them).
const windowChunks = 4;
const windowBytes = 16 * 1024;
const nodeStreamBuffer = 16 * 1024;

runTransportContract("GrpcTransport over 127.0.0.1", {
  maxBufferedChunks: windowChunks + 1 + (windowBytes + nodeStreamBuffer) / 1024 + 4,
  async create(ids) {
    const transports = await listenAll(ids, () => ({ snapshotWindowChunks: windowChunks, snapshotWindowBytes: windowBytes }));
    return { transports, dispose: () => closeAll(transports.values()) };
  },
});

// Once more over TLS with mutual authentication: every node has a certificate
// from the cluster's CA that names it, and refuses callers without one; and
// a cluster secret, from which each node derives its own token.
const ca = await makeCa("raft test CA");
const certs = new Map(await Promise.all([1, 2, 3, 4, 5, 6, 7, 8, 9].map(async (id) => [id, await makeNodeCert(ca, `raft node ${id}`, "test", [id])] as const)));
const certFor = (id: number) => {
  const cert = certs.get(id);
  if (cert === undefined) throw new Error(`no test certificate for node ${id}`);
  return cert;
};

runTransportContract("GrpcTransport over 127.0.0.1 with mutual TLS", {
  maxBufferedChunks: windowChunks + 1 + (windowBytes + nodeStreamBuffer) / 1024 + 4,
  async create(ids) {
    const transports = await listenAll(ids, (id) => ({
      snapshotWindowChunks: windowChunks,
      snapshotWindowBytes: windowBytes,
      tls: { ...certFor(id), ca: ca.cert, requireClientCert: true },
      auth: { token: "cluster-secret" },
    }));
    return { transports, dispose: () => closeAll(transports.values()) };
  },
});
