import { generate } from "selfsigned";

export interface Pem {
  readonly cert: string;
  readonly key: string;
}

const ec = { keyType: "ec", algorithm: "sha256" } as const;

/** A certificate authority for a test cluster. */
export async function makeCa(name: string): Promise<Pem> {
  const pems = await generate([{ name: "commonName", value: name }], {
    ...ec,
    extensions: [
      { name: "basicConstraints", cA: true, critical: true },
      { name: "keyUsage", keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

/**
 * A node certificate signed by `ca`, for 127.0.0.1 and localhost, usable as
 * server and as client certificate. It names the nodes `ids` of cluster
 * `clusterId` (SAN URIs `raft://<clusterId>/<id>`), as mutual TLS requires.
 */
export async function makeNodeCert(ca: Pem, name: string, clusterId = "test", ids: readonly number[] = []): Promise<Pem> {
  const pems = await generate([{ name: "commonName", value: name }], {
    ...ec,
    ca: { key: ca.key, cert: ca.cert },
    extensions: [
      { name: "basicConstraints", cA: false },
      { name: "keyUsage", digitalSignature: true, keyEncipherment: true },
      { name: "extKeyUsage", serverAuth: true, clientAuth: true },
      { name: "subjectAltName", altNames: [{ type: 7, ip: "127.0.0.1" }, { type: 2, value: "localhost" }, ...ids.map((id) => ({ type: 6 as const, value: `raft://${clusterId}/${id}` }))] },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}
