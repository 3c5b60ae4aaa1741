import { generate } from "selfsigned";

export interface Identity {
  readonly cert: string;
  readonly key: string;
}

export interface TestPki {
  /** The CA every node trusts. */
  readonly ca: string;
  /** A node certificate signed by `ca`, for 127.0.0.1, usable as server and client. */
  readonly node: Identity;
  /** A certificate from another CA: what an outsider presents. */
  readonly outsider: Identity;
}

let pki: Promise<TestPki> | undefined;

/** Certificates for TLS tests, generated once per test file (EC keys: fast). */
export function testPki(): Promise<TestPki> {
  pki ??= (async () => {
    const ca = await authority("raft test CA");
    const outsiderCa = await authority("someone else's CA");
    return { ca: ca.cert, node: await leaf(ca), outsider: await leaf(outsiderCa) };
  })();
  return pki;
}

async function authority(name: string): Promise<Identity> {
  const pems = await generate([{ name: "commonName", value: name }], {
    keyType: "ec",
    algorithm: "sha256",
    extensions: [
      { name: "basicConstraints", cA: true, critical: true },
      { name: "keyUsage", keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

async function leaf(ca: Identity): Promise<Identity> {
  const pems = await generate([{ name: "commonName", value: "raft node" }], {
    keyType: "ec",
    algorithm: "sha256",
    ca: { key: ca.key, cert: ca.cert },
    extensions: [
      { name: "basicConstraints", cA: false },
      { name: "keyUsage", digitalSignature: true, keyEncipherment: true },
      { name: "extKeyUsage", serverAuth: true, clientAuth: true },
      { name: "subjectAltName", altNames: [{ type: 7, ip: "127.0.0.1" }] },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}
