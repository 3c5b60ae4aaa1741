import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { S3SnapshotStore, canReadLocation, parseLocation } from "../src/index.js";
import { S3Server, bytes, codeOf, freshPrefix, manifest, openStore, readAll, take } from "./support.js";

let server: S3Server;
beforeAll(async () => {
  server = await S3Server.start();
});
afterAll(async () => {
  await server?.stop();
});

const A = bytes(50_000, 1);
const B = bytes(700, 2);

describe("locate() and reading located snapshots", () => {
  it("gives an s3:// URL of the manifest with the endpoint, and undefined for unknown ids", async () => {
    const prefix = freshPrefix("leader");
    const store = await openStore(server, prefix);
    const meta = await take(store, 3, { "state.bin": A });
    const url = await store.locate(meta.id);
    expect(url).toBe(`s3://raft-test/${prefix}snapshots/${meta.id}/manifest.json?region=us-east-1&endpoint=${encodeURIComponent(server.endpoint)}`);
    expect(parseLocation(url as string)).toEqual({ bucket: "raft-test", prefix, id: meta.id, key: `${prefix}snapshots/${meta.id}/manifest.json`, endpoint: server.endpoint, region: "us-east-1" });
    expect(await store.locate(manifest(9, 9, {}).id)).toBeUndefined();
    expect(await store.locate("../etc")).toBeUndefined();
    expect(await codeOf(Promise.resolve().then(() => parseLocation("https://example.com/x")))).toBe("InvalidConfig");
    await store.close();
  });

  it("a follower under another prefix reads the leader's files by ranged GET, from any offset, and verifies them", async () => {
    const leader = await openStore(server, freshPrefix("leader"));
    const follower = await openStore(server, freshPrefix("follower"));
    const meta = await take(leader, 5, { "state.bin": A, "index.json": B });
    const url = (await leader.locate(meta.id)) as string;
    expect(canReadLocation(follower, url)).toBe(true);
    const located = await follower.openLocated(url);
    expect(located.meta).toEqual(meta);
    const parts: Uint8Array[] = [];
    for await (const c of located.open("state.bin", { offset: 12_345, chunkSize: 10_000 })) parts.push(c);
    expect(parts.map((p) => p.length)).toEqual([10_000, 10_000, 10_000, 7_655]);
    expect(Buffer.concat(parts).equals(Buffer.from(A.subarray(12_345)))).toBe(true);
    await located.verify();
    expect(
      await codeOf(
        (async () => {
          for await (const _ of located.open("nope.bin")) void _;
        })(),
      ),
    ).toBe("NotFound");

    // What the follower's runtime would do: receive the snapshot into its own store, pulling from S3 instead of the leader.
    const { writer, progress } = await follower.receive(meta);
    for (const f of meta.files) for await (const c of located.open(f.name, { offset: progress.get(f.name) ?? 0 })) await writer.write(f.name, c);
    expect(await writer.commit()).toEqual(meta);
    await follower.verify(meta.id);

    // Pruned on the leader's side: NotFound, and the follower falls back to the leader.
    await take(leader, 6, { "state.bin": B });
    expect(await leader.prune(1)).toEqual([meta.id]);
    expect(await codeOf(follower.openLocated(url))).toBe("NotFound");
    await leader.close();
    await follower.close();
  });

  it("a follower sharing the leader's bucket and prefix already has the snapshot", async () => {
    const prefix = freshPrefix("shared");
    const leader = await openStore(server, prefix, { owner: "node-1" });
    const follower = await openStore(server, prefix, { owner: "node-2" });
    const meta = await take(leader, 5, { "state.bin": A });
    expect(await follower.get(meta.id)).toEqual(meta);
    expect(await follower.latest()).toEqual(meta);
    const { progress, writer } = await follower.receive(meta);
    expect(progress.get("state.bin")).toBe(A.length);
    expect(await writer.commit()).toEqual(meta);
    expect(Buffer.from(await readAll(follower, meta.id, "state.bin")).equals(Buffer.from(A))).toBe(true);
    // The follower's own open and prune leave the leader's objects alone.
    const again = await openStore(server, prefix, { owner: "node-2" });
    await again.prune(1);
    await leader.verify(meta.id);
    await leader.close();
    await follower.close();
    await again.close();
  });

  it("cannot read locations of another endpoint or bucket", async () => {
    const store = await openStore(server, freshPrefix());
    const other = await S3SnapshotStore.open(server.options(freshPrefix(), { endpoint: "http://127.0.0.1:1" })).catch(() => undefined);
    expect(other).toBeUndefined(); // nothing listens there
    const id = manifest(1, 1, {}).id;
    const here = store.locationOf(id);
    expect(canReadLocation(store, here)).toBe(true);
    expect(canReadLocation(store, here.replace("s3://raft-test/", "s3://other-bucket/"))).toBe(false);
    expect(canReadLocation(store, here.replace(encodeURIComponent(server.endpoint), encodeURIComponent("http://127.0.0.1:1")))).toBe(false);
    expect(canReadLocation(store, `s3://raft-test/p/snapshots/${id}/manifest.json?region=us-east-1`)).toBe(false); // AWS, not this endpoint
    expect(canReadLocation(store, "not a url")).toBe(false);
    expect(await codeOf(store.openLocated(here.replace("s3://raft-test/", "s3://other-bucket/")))).toBe("InvalidConfig");
    await store.close();
  });
});
