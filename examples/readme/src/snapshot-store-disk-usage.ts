// packages/snapshot-store-disk/README.md
// #region readme
import { DiskSnapshotStore } from "@raft/snapshot-store-disk";
const snapshots = await DiskSnapshotStore.open({ dir: "/var/lib/raft/node-1" });
// #endregion
export { snapshots };
