// packages/snapshot-store-s3/README.md: the first example.
// #region readme
import { S3SnapshotStore } from "@raft/snapshot-store-s3";
const snapshots = await S3SnapshotStore.open({ bucket: "raft-snapshots", prefix: "clusters/payments", region: "eu-west-1", owner: "node-1" });
// #endregion
export { snapshots };
