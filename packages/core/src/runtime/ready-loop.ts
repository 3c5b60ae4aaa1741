import type { Clock, Transport } from "../contracts/index.js";
import { notLeader, RaftError, type LogPosition, type Membership, type Message, type NodeId, type RaftEngine, type Ready, type Role } from "../engine/index.js";
import type { Applier } from "./applier.js";
import type { Emitter, RaftNodeEvents } from "./events.js";
import type { PendingReads } from "./pending.js";
import { describeReady, type SlowTurns } from "./slow-turns.js";
import type { SnapshotManager } from "./snapshots/snapshot-manager.js";
import type { LogWriter } from "./storage/log-writer.js";

export interface ReadyLoopParts<Result> {
  readonly id: NodeId;
  readonly engine: RaftEngine;
  readonly clock: Clock;
  readonly transport: Transport;
  readonly writer: LogWriter;
  readonly snapshots: SnapshotManager<Result>;
  readonly applier: Applier<Result>;
  readonly reads: PendingReads;
  readonly events: Emitter<RaftNodeEvents>;
  readonly slowTurns: SlowTurns;
  /** False once the node stops: the loop ends after the Ready in hand. */
  readonly running: () => boolean;
  readonly fail: (error: unknown) => void;
  readonly membershipChanged: (membership: Membership) => void;
}

/**
 * The one serial loop of a node: it takes every input of one turn of the
 * event loop into one `Ready` and carries it out in the order the `Ready`
 * contract states; the writes go on beside it (group commit in `LogWriter`).
 */
export class ReadyLoop<Result> {
  private loopRunning = false;
  /** Something happened while the loop ran: it must look again before exiting. */
  private kicked = false;
  private loopDone: Promise<void> = Promise.resolve();
  private lastRole: Role = "follower";
  private lastLeader: NodeId | 0 = 0;
  private lastCommit: number;

  constructor(private readonly p: ReadyLoopParts<Result>) {
    this.lastCommit = p.engine.commitIndex;
  }

  /** Runs the loop, or asks the running loop to look again before it exits (no lost wake-ups). */
  kick(): void {
    if (!this.p.running()) return;
    if (this.loopRunning) {
      this.kicked = true;
      return;
    }
    this.loopRunning = true;
    this.loopDone = this.loop();
  }

  /** Resolves once the Ready in hand (if any) is carried out. */
  done(): Promise<void> {
    return this.loopDone;
  }

  private async loop(): Promise<void> {
    const { engine, snapshots, applier, running } = this.p;
    // Let every input of this turn (all the requests and messages read together) batch into one Ready.
    await this.nextTurn();
    try {
      do {
        this.kicked = false;
        while (running() && engine.hasReady()) {
          const started = this.p.clock.now();
          const ready = engine.ready();
          await this.carryOut(ready);
          if (!running()) return;
          engine.advance(ready);
          this.p.slowTurns.check(started, () => describeReady(ready));
          if (ready.committed.some((e) => e.kind === "config")) this.p.membershipChanged(engine.membership());
          await snapshots.takeIfRequested(applier.applied);
          // Sockets, timers and client requests get their turn between two Readies.
          await this.nextTurn();
        }
        if (running()) await snapshots.takeIfRequested(applier.applied);
      } while (this.kicked && running());
    } catch (error) {
      this.p.fail(error);
    } finally {
      this.loopRunning = false;
    }
  }

  private nextTurn(): Promise<void> {
    const clock = this.p.clock;
    return clock.defer === undefined ? Promise.resolve() : new Promise((resolve) => clock.defer?.(resolve));
  }

  /** Steps 1–4 of the `Ready` contract. */
  private async carryOut(ready: Ready): Promise<void> {
    const { writer, transport, snapshots, reads } = this.p;
    this.report(ready);
    const write = ready.write;
    // Acknowledgements and votes wait for this write: a store may then take the faster path for it.
    if (write !== undefined) writer.save(write, () => this.persisted(write.durableTo), ready.messagesAfterWrite.length > 0);
    if (ready.compactTo !== undefined) writer.compact(ready.compactTo);
    if (ready.messages.length > 0) transport.send(await this.withInlineSnapshots(ready.messages));
    if (ready.messagesAfterWrite.length > 0) {
      const messages = ready.messagesAfterWrite;
      writer.afterDurable(() => this.sendAfterWrite(messages));
    }
    if (ready.committed.length > 0) await this.p.applier.apply(ready.committed);
    if (ready.installSnapshot !== undefined) snapshots.install(ready.installSnapshot);
    for (const rs of ready.readStates) reads.confirmed(rs.id, rs.index, this.p.applier.applied);
    for (const d of ready.droppedReads) {
      reads.fail(d.id, d.reason === "NotLeader" ? notLeader(d.leaderHint) : new RaftError("NotLeader", "leadership changed before the read was confirmed", { leaderHint: d.leaderHint }));
    }
  }

  /** A write is durable: the engine may count it (the leader toward a commit). */
  private persisted(position: LogPosition): void {
    if (!this.p.running()) return;
    this.p.engine.persisted(position);
    this.kick();
  }

  /** Votes and acknowledgements, now that what they promise is durable; our own vote goes back to the engine. */
  private sendAfterWrite(messages: readonly Message[]): void {
    if (!this.p.running()) return;
    const id = this.p.id;
    let toPeers = messages;
    if (messages.some((m) => m.to === id)) {
      toPeers = messages.filter((m) => m.to !== id);
      for (const m of messages) if (m.to === id) this.p.engine.step(m);
      this.kick();
    }
    if (toPeers.length > 0) this.p.transport.send(toPeers);
  }

  private async withInlineSnapshots(messages: readonly Message[]): Promise<readonly Message[]> {
    if (!messages.some((m) => m.type === "InstallSnapshot")) return messages;
    return Promise.all(messages.map((m) => this.p.snapshots.decorate(m)));
  }

  /** Role, leader and commit events. */
  private report(ready: Ready): void {
    const { engine, events } = this.p;
    const soft = ready.softState;
    if (soft !== undefined) {
      if (soft.role !== this.lastRole) {
        this.lastRole = soft.role;
        events.emit("role", { role: soft.role, term: engine.term });
      }
      if (soft.leader !== this.lastLeader) {
        this.lastLeader = soft.leader;
        events.emit("leader", { leader: soft.leader, term: engine.term });
      }
    }
    const commit = engine.commitIndex;
    if (commit > this.lastCommit) {
      this.lastCommit = commit;
      events.emit("commit", { index: commit });
    }
  }
}
