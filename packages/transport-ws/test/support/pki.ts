import { generate } from "selfsigned";

export interface Identity {
  readonly cert: string;
  readonly key: string;
}

export interface TestPki {
  /** The CA every node trusts. */
  readonly ca: string;
  /** Node `id`'s certificate, signed by `ca`, for 127.0.0.1, usable as server and client: it names `raft://<cluster>/<id>`. */
  node(id: number, cluster?: string): Identity;
  /** A certificate from another CA (naming node 2): what an outsider presents. */
  readonly outsider: Identity;
  /** A certificate signed by `ca` that names no node. */
  readonly anonymous: Identity;
}

let pki: Promise<TestPki> | undefined;

/** Certificates for TLS tests, generated once per test file (EC keys: fast). */
export function testPki(): Promise<TestPki> {
  pki ??= (async () => {
    const ca = await authority("raft test CA");
    const outsiderCa = await authority("someone else's CA");
    const nodes = new Map<string, Identity>();
    for (let id = 1; id <= 9; id++) nodes.set(`test-cluster/${id}`, await leaf(ca, [`raft://test-cluster/${id}`]));
    const node = (id: number, cluster = "test-cluster") => {
      const identity = nodes.get(`${cluster}/${id}`);
      if (identity === undefined) throw new Error(`no test certificate for node ${id} of ${cluster}`);
      return identity;
    };
    return { ca: ca.cert, node, outsider: await leaf(outsiderCa, ["raft://test-cluster/2"]), anonymous: await leaf(ca, []) };
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

async function leaf(ca: Identity, uris: readonly string[]): Promise<Identity> {
  const pems = await generate([{ name: "commonName", value: "raft node" }], {
    keyType: "ec",
    algorithm: "sha256",
    ca: { key: ca.key, cert: ca.cert },
    extensions: [
      { name: "basicConstraints", cA: false },
      { name: "keyUsage", digitalSignature: true, keyEncipherment: true },
      { name: "extKeyUsage", serverAuth: true, clientAuth: true },
      { name: "subjectAltName", altNames: [{ type: 7, ip: "127.0.0.1" }, ...uris.map((value) => ({ type: 6 as const, value }))] },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}
