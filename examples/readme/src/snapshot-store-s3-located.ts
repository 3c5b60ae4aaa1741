// packages/snapshot-store-s3/README.md: following a snapshot from its location.
import type { S3SnapshotStore } from "@raft/snapshot-store-s3";
declare const store: S3SnapshotStore;
declare const url: string;

// #region readme
if (store.canRead(url)) {
  // same endpoint (or AWS region) and bucket
  const located = await store.openLocated(url); // reads and validates the manifest; NotFound if it was pruned
  const { writer, progress } = await store.receive(located.meta); // resumable, checked at commit, as from a peer
  for (const f of located.meta.files) {
    for await (const chunk of located.open(f.name, { offset: progress.get(f.name) ?? 0 })) await writer.write(f.name, chunk);
  }
  await writer.commit();
}
// Any failure (NotFound, Unavailable, Busy, Corrupt): pull from the leader instead.
// #endregion
