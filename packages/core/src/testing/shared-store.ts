import type { SnapshotStore } from "../contracts/index.js";

/**
 * A view of a snapshot store that one node incarnation may close without
 * closing the store: the store outlives crashes, as a disk does.
 */
export function incarnationOf(store: SnapshotStore): SnapshotStore {
  return {
    create: (draft) => store.create(draft),
    receive: (meta) => store.receive(meta),
    latest: () => store.latest(),
    list: () => store.list(),
    get: (id) => store.get(id),
    open: (id, file, options) => store.open(id, file, options),
    verify: (id) => store.verify(id),
    pin: (id) => store.pin(id),
    prune: (keep) => store.prune(keep),
    ...(store.locate && { locate: (id: string) => store.locate?.(id) ?? Promise.resolve(undefined) }),
    ...(store.canRead && { canRead: (location: string) => store.canRead?.(location) ?? false }),
    ...(store.openLocated && { openLocated: (location: string) => (store.openLocated as NonNullable<SnapshotStore["openLocated"]>)(location) }),
    close: async () => {},
  };
}
