import { runTransportContract } from "@raft/core/conformance";
import { testPki } from "./support/pki.js";
import { listenAll } from "./support/transports.js";

const window = 8;

// Plain ws on 127.0.0.1, real sockets.
runTransportContract("WsTransport (ws)", {
  maxBufferedChunks: window,
  create: (ids) => listenAll(ids, () => ({ snapshotWindowChunks: window })),
});

// The same over wss with mTLS (each node's certificate names it) and a cluster
// secret (each node presents its own token): every connection is authenticated both ways.
runTransportContract("WsTransport (wss, mTLS, token)", {
  maxBufferedChunks: window,
  create: async (ids) => {
    const pki = await testPki();
    return listenAll(ids, (id) => ({
      snapshotWindowChunks: window,
      tls: { ...pki.node(id), ca: pki.ca, requireClientCert: true },
      auth: { token: "contract-secret" },
    }));
  },
});
