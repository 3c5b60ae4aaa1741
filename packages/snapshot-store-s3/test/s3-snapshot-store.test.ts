import { runSnapshotStoreContract } from "@raft/core/conformance";
import { afterAll, beforeAll } from "vitest";
import { S3SnapshotStore } from "../src/index.js";
import { S3Server, damage, freshPrefix, getObject, objectKey, putObject } from "./support.js";

let server: S3Server;
beforeAll(async () => {
  server = await S3Server.start();
});
afterAll(async () => {
  await server?.stop();
});

runSnapshotStoreContract("S3SnapshotStore", {
  durable: true,
  async create() {
    const prefix = freshPrefix("contract");
    const store = await S3SnapshotStore.open(server.options(prefix));
    return {
      store,
      reopen: () => S3SnapshotStore.open(server.options(prefix)),
      async dispose() {
        await store.close();
      },
    };
  },
  corrupt: async (store, id, file) => damage(server.client(), await objectKey(server.client(), (store as S3SnapshotStore).config.prefix, id, file)),
  async corruptManifest(store, id) {
    const key = `${(store as S3SnapshotStore).config.prefix}snapshots/${id}/manifest.json`;
    const stored = JSON.parse(new TextDecoder().decode(await getObject(server.client(), key))) as { meta: { size: number } };
    await putObject(server.client(), key, JSON.stringify({ ...stored, meta: { ...stored.meta, size: stored.meta.size + 1 } })); // valid JSON, wrong sum
  },
});
