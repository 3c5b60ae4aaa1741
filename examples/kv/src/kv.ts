// A replicated key-value store: three nodes on 127.0.0.1, each with its own
// SQLite log and snapshot directory, talking gRPC. Run: node dist/kv.js
// #region imports
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Command, SnapshotFileStream, StateMachine, StateMachineSnapshot } from "@raft/core/contracts";
import { RaftNode } from "@raft/core/runtime";
import { SqliteLogStore } from "@raft/log-sqlite";
import { DiskSnapshotStore } from "@raft/snapshot-store-disk";
import { GrpcTransport } from "@raft/transport-grpc";
// #endregion

// #region machine
/** The replicated state. A command is `key=value`; its result is the value it replaced. */
class KvStore implements StateMachine<string | undefined> {
  readonly map = new Map<string, string>();
  apply(commands: readonly Command[]): (string | undefined)[] {
    return commands.map(({ data }) => {
      const [key, value] = new TextDecoder().decode(data).split("=", 2) as [string, string];
      const before = this.map.get(key);
      this.map.set(key, value);
      return before;
    });
  }
  snapshot(): StateMachineSnapshot {
    const bytes = new TextEncoder().encode(JSON.stringify([...this.map]));
    return {
      files: [
        {
          name: "map.json",
          chunks: async function* () {
            yield bytes;
          },
        },
      ],
    };
  }
  async restore(_meta: unknown, files: SnapshotFileStream): Promise<void> {
    const parts: Uint8Array[] = [];
    for await (const file of files) for await (const chunk of file.chunks) parts.push(chunk);
    this.map.clear();
    for (const [k, v] of JSON.parse(Buffer.concat(parts).toString()) as [string, string][]) this.map.set(k, v);
  }
}
// #endregion

// #region listen
const dir = await mkdtemp(join(tmpdir(), "raft-kv-"));
const ids = [1, 2, 3];
// Port 0: listen first, read each real address back, hand every transport the others', then start.
const transports = await Promise.all(ids.map((id) => GrpcTransport.listen({ id, clusterId: "kv", listen: { host: "127.0.0.1", port: 0 } })));
const addresses = new Map(transports.map((t, i) => [ids[i] as number, t.address]));
for (const t of transports) t.updatePeers(addresses);
// #endregion
// #region nodes
const nodes = await Promise.all(
  ids.map(async (id, i) => {
    const kv = new KvStore();
    const log = await SqliteLogStore.open({ path: join(dir, `node-${id}.sqlite`) });
    const snapshots = await DiskSnapshotStore.open({ dir: join(dir, `snapshots-${id}`) });
    const node = new RaftNode({ id, voters: ids, log, snapshots, stateMachine: kv, transport: transports[i] as GrpcTransport });
    await node.start();
    return { node, kv };
  }),
);
// #endregion

// #region use
let leader = nodes.find((n) => n.node.status().role === "leader");
for (let waited = 0; leader === undefined && waited < 10_000; waited += 50) {
  await new Promise((r) => setTimeout(r, 50));
  leader = nodes.find((n) => n.node.status().role === "leader");
}
if (leader === undefined) throw new Error("no leader elected within 10 s");
await leader.node.propose(new TextEncoder().encode("color=red"));
const replaced = await leader.node.propose(new TextEncoder().encode("color=blue"));
const follower = nodes.find((n) => n !== leader) as (typeof nodes)[number];
await follower.node.read(); // linearizable: the follower's state now holds every acknowledged write
console.log(`leader ${leader.node.id}: color was ${replaced}; follower ${follower.node.id} reads color=${follower.kv.map.get("color")}`);
for (const { node } of nodes) await node.stop(); // closes its transport, log and snapshot store
await rm(dir, { recursive: true, force: true });
// #endregion
if (follower.kv.map.get("color") !== "blue") process.exit(1);
