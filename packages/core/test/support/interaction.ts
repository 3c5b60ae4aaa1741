import { Index, isRaftError, NodeId, type EngineOptions } from "../../src/engine/index.js";
import { EngineCluster, formatEntry } from "./engine-cluster.js";

/**
 * Runs transcript commands against an `EngineCluster` and returns what they
 * print. Commands:
 *   add-nodes N [option=value …]     start N engines (ids 1..N)
 *   campaign ID | tick ID [N] | propose ID TEXT | read-index ID READ_ID
 *   transfer-leadership FROM TO | restart ID | snapshot ID | finish-install ID [fail]
 *   change-membership LEADER addLearner|promote|remove NODE | membership ID | add-node ID (a joining node)
 *   process-ready ID | deliver [ID] | stabilize
 *   hold-writes ID (its writes wait, a slow disk) | persist ID (they become durable, in order)
 *   partition 1 2 / 3 | cut FROM TO | heal
 *   status ID | log ID | applied ID | reads ID
 */
export class Interaction {
  private cluster: EngineCluster | undefined;

  run(command: string): string {
    const [name, ...args] = command.trim().split(/\s+/);
    try {
      return this.dispatch(name as string, args).join("\n");
    } catch (e) {
      return isRaftError(e) ? `error ${e.code}: ${e.message}` : `error: ${(e as Error).message}`;
    }
  }

  private get c(): EngineCluster {
    if (this.cluster === undefined) throw new Error("add-nodes first");
    return this.cluster;
  }

  private dispatch(name: string, args: string[]): string[] {
    const id = (i = 0): number => Number(args[i]);
    switch (name) {
      case "add-nodes": {
        const n = Number(args[0]);
        const options: Record<string, number | boolean> = {};
        for (const kv of args.slice(1)) {
          const [k, v] = kv.split("=") as [string, string];
          options[k] = v === "true" ? true : v === "false" ? false : Number(v);
        }
        this.cluster = new EngineCluster(
          Array.from({ length: n }, (_, i) => i + 1),
          options as EngineOptions,
        );
        return [];
      }
      case "campaign":
        this.c.engine(id()).campaign();
        return [];
      case "tick":
        this.c.tick(id(), Number(args[1] ?? 1));
        return [];
      case "propose": {
        const { index, term } = this.c.engine(id()).propose(new TextEncoder().encode(args.slice(1).join(" ")));
        return [`proposed at ${index}@${term}`];
      }
      case "read-index":
        this.c.engine(id()).readIndex(Number(args[1]));
        return [];
      case "transfer-leadership":
        this.c.engine(id()).transferLeadership(NodeId.of(id(1)));
        return [];
      case "snapshot": {
        const meta = this.c.snapshot(id());
        return [`snapshot ${meta.index}@${meta.term}`];
      }
      case "change-membership": {
        // change-membership LEADER addLearner|promote|remove NODE
        const type = args[1] as "addLearner" | "promote" | "remove";
        const { index } = this.c.engine(id()).proposeMembership({ type, node: NodeId.of(Number(args[2])) });
        return [`proposed at ${index}`];
      }
      case "membership": {
        const m = this.c.engine(id()).status().membership;
        return [`voters=${m.voters.join(",")}${m.outgoing ? ` outgoing=${m.outgoing.join(",")}` : ""} learners=${m.learners.join(",") || "-"}`];
      }
      case "finish-install":
        this.c.finishInstall(id(), args[1] !== "fail");
        return [];
      case "add-node":
        this.c.join(id());
        return [];
      case "restart":
        this.c.start(id());
        return [];
      case "process-ready":
        return this.c.processReady(id());
      case "hold-writes":
        this.c.holdWrites(id());
        return [];
      case "persist":
        return this.c.persist(id());
      case "deliver":
        return this.c.deliver(args[0] === undefined ? undefined : id());
      case "stabilize":
        return this.c.stabilize();
      case "partition": {
        const groups = args
          .join(" ")
          .split("/")
          .map((g) => g.trim().split(/\s+/).map(Number));
        this.c.partition(groups);
        return [];
      }
      case "cut":
        this.c.cutLink(id(), id(1));
        return [];
      case "heal":
        this.c.heal();
        return [];
      case "status": {
        const s = this.c.engine(id()).status();
        const lines = [`${s.id}: ${s.role} term=${s.term} vote=${s.vote} leader=${s.leader} commit=${s.commit} applied=${s.applied} log=${s.firstIndex}..${s.lastIndex}`];
        for (const [peer, p] of s.progress ?? []) lines.push(`  ${peer}: ${p.state} match=${p.match} next=${p.next} inflight=${p.inflight}${p.recentActive ? " active" : ""}`);
        return lines;
      }
      case "log": {
        const s = this.c.engine(id()).status();
        return [
          this.c
            .engine(id())
            .entries(s.firstIndex, Index.of(s.lastIndex + 1))
            .map(formatEntry)
            .join(", ") || "(empty)",
        ];
      }
      case "applied":
        return [this.c.appliedData(id()).join(", ") || "(nothing)"];
      case "reads":
        return [this.c.reads.get(id())?.join(", ") || "(none)"];
      default:
        throw new Error(`unknown command ${name}`);
    }
  }
}
