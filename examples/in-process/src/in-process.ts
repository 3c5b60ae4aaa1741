// Three nodes in one process with only @raft/core: the testing kit's
// in-memory network, log and snapshot store stand in for real adapters, and
// no test runner is needed. Run: node dist/in-process.js
import type { Command, SnapshotFileStream, StateMachine, StateMachineSnapshot } from "@raft/core/contracts";
import { RaftNode, systemClock } from "@raft/core/runtime";
import { InMemoryNetwork, MemoryLog, MemorySnapshotStore, Prng, SimLogStore } from "@raft/core/testing";

/** A counter: each command adds its number; the result is the new total. */
class Counter implements StateMachine<number> {
  total = 0;
  apply(commands: readonly Command[]): number[] {
    return commands.map(({ data }) => (this.total += Number(new TextDecoder().decode(data))));
  }
  snapshot(): StateMachineSnapshot {
    const bytes = new TextEncoder().encode(String(this.total));
    return {
      files: [
        {
          name: "total",
          chunks: async function* () {
            yield bytes;
          },
        },
      ],
    };
  }
  async restore(_meta: unknown, files: SnapshotFileStream): Promise<void> {
    let text = "";
    for await (const file of files) for await (const chunk of file.chunks) text += new TextDecoder().decode(chunk);
    this.total = Number(text);
  }
}

const ids = [1, 2, 3];
const network = new InMemoryNetwork(); // no addresses: nothing to wire before start
const nodes = ids.map((id) => {
  const counter = new Counter();
  // SimLogStore keeps the log in memory; writes are "durable" after up to 1 ms.
  const log = new SimLogStore(new MemoryLog(), systemClock, new Prng(id), 1);
  const node = new RaftNode({ id, voters: ids, log, snapshots: new MemorySnapshotStore(), stateMachine: counter, transport: network.transport(id) });
  return { node, counter };
});
for (const { node } of nodes) await node.start();

let leader = nodes.find((n) => n.node.status().role === "leader");
for (let waited = 0; leader === undefined && waited < 10_000; waited += 20) {
  await new Promise((r) => setTimeout(r, 20));
  leader = nodes.find((n) => n.node.status().role === "leader");
}
if (leader === undefined) throw new Error("no leader elected within 10 s");
for (const n of [5, 10, 27]) await leader.node.propose(new TextEncoder().encode(String(n)));
const follower = nodes.find((n) => n !== leader) as (typeof nodes)[number];
await follower.node.read();
console.log(`leader ${leader.node.id} and follower ${follower.node.id} both count ${follower.counter.total}`);
for (const { node } of nodes) await node.stop();
if (follower.counter.total !== 42) process.exit(1);
