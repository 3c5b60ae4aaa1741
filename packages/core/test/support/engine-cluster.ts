import { manifestDigest, snapshotId } from "../../src/contracts/index.js";
import { MemoryLog } from "../../src/contracts/index.js";
import {
  decodeMembership,
  Index,
  NodeId,
  RaftEngine,
  Term,
  type EngineOptions,
  type Entry,
  type Message,
  type Ready,
  type SnapshotMeta,
  type StorageWrite,
  type SnapshotToInstall,
} from "../../src/engine/index.js";

const decoder = new TextDecoder();

export function formatEntry(e: Entry): string {
  const body = e.kind === "normal" ? ` "${decoder.decode(e.data)}"` : e.kind === "config" ? ` config(${formatMembership(decodeMembership(e.data))})` : ` ${e.kind}`;
  return `${e.index}@${e.term}${body}`;
}

export function formatMessage(m: Message): string {
  const head = `${m.from}→${m.to} ${m.type} term=${m.term}`;
  switch (m.type) {
    case "PreVote":
    case "Vote":
      return `${head} last=${m.lastIndex}@${m.lastTerm}${m.transfer ? " transfer" : ""}`;
    case "PreVoteResp":
    case "VoteResp":
      return `${head}${m.reject ? " reject" : ""}`;
    case "Append":
      return `${head} prev=${m.prevIndex}@${m.prevTerm} commit=${m.commit} entries=[${m.entries.map(formatEntry).join(", ")}]`;
    case "AppendResp":
      return m.reject ? `${head} reject index=${m.index} hint=${m.hintIndex}@${m.hintTerm}` : `${head} index=${m.index}`;
    case "Heartbeat":
      return `${head} commit=${m.commit} round=${m.round}`;
    case "HeartbeatResp":
      return `${head} round=${m.round}`;
    case "ReadIndex":
      return `${head} id=${m.id}`;
    case "ReadIndexResp":
      return `${head} id=${m.id} index=${m.index}${m.reject ? " reject" : ""}`;
    case "TimeoutNow":
      return head;
    case "InstallSnapshot":
      return `${head} snapshot=${m.snapshot.index}@${m.snapshot.term}${m.inline ? " inline" : ""}`;
    case "InstallSnapshotResp":
      return `${head} index=${m.index}${m.reject ? " reject" : ""}`;
  }
}

function formatMembership(m: { voters: readonly number[]; outgoing?: readonly number[]; learners: readonly number[] }): string {
  return `voters=${m.voters.join(",")}${m.outgoing ? ` outgoing=${m.outgoing.join(",")}` : ""} learners=${m.learners.join(",") || "-"}`;
}

/** A manifest for a snapshot with no files, as the engine sees one (the bytes do not matter to it). */
export function fakeSnapshot(index: number, term: number, voters: readonly number[]): SnapshotMeta {
  const sha256 = manifestDigest([]);
  const membership = { voters: voters.map(NodeId.of), learners: [] };
  return { id: snapshotId(index, term, sha256), index: Index.of(index), term: Term.of(term), membership, files: [], size: 0, sha256, createdAt: 0 };
}

/** The lines a Ready prints as in the transcripts, in the order the driver carries it out. */
export function formatReady(id: number, rd: Ready): string[] {
  const out = [`ready ${id}:`];
  if (rd.softState) out.push(`  role=${rd.softState.role} leader=${rd.softState.leader}`);
  const w = rd.write;
  if (w?.reset) out.push(`  reset log after ${w.reset.index}@${w.reset.term}`);
  if (w?.hardState) out.push(`  hard term=${w.hardState.term} vote=${w.hardState.vote} commit=${w.hardState.commit}`);
  if (w !== undefined && w.entries.length > 0) out.push(`  persist ${w.entries.map(formatEntry).join(", ")}`);
  for (const m of rd.messages) out.push(`  send ${formatMessage(m)}`);
  for (const m of rd.messagesAfterWrite) out.push(`  after write: send ${formatMessage(m)}`);
  if (rd.committed.length > 0) out.push(`  apply ${rd.committed.map(formatEntry).join(", ")}`);
  for (const r of rd.readStates) out.push(`  read id=${r.id} index=${r.index}`);
  for (const r of rd.droppedReads) out.push(`  read id=${r.id} dropped: ${r.reason}`);
  if (rd.compactTo !== undefined) out.push(`  compact to ${rd.compactTo}`);
  if (rd.installSnapshot) out.push(`  install snapshot ${rd.installSnapshot.meta.index}@${rd.installSnapshot.meta.term} from ${rd.installSnapshot.from}`);
  return out;
}

/**
 * Engines wired by hand: each Ready is carried out synchronously into a
 * `MemoryLog`, messages wait in a mailbox until delivered. Drives the
 * transcripts, the paper tests and the exact-Ready tests.
 */
export class EngineCluster {
  readonly engines = new Map<number, RaftEngine>();
  readonly logs = new Map<number, MemoryLog>();
  readonly applied = new Map<number, Entry[]>();
  readonly reads = new Map<number, string[]>();
  /** Installs the engines asked for and that are not yet reported. */
  readonly installs = new Map<number, SnapshotToInstall>();
  mailbox: Message[] = [];
  private readonly cut = new Set<string>();
  /** Nodes whose writes wait for `persist(id)`, with what waits: writes in order, each with the messages that depend on it. */
  private readonly heldWrites = new Map<number, { write: StorageWrite | undefined; after: readonly Message[] }[]>();

  constructor(
    readonly ids: readonly number[],
    readonly options: EngineOptions = {},
  ) {
    for (const id of ids) this.start(id);
  }

  /** Starts a node that is not (yet) in the bootstrap configuration: it joins through a membership change. */
  join(id: number): RaftEngine {
    return this.start(id);
  }

  /** (Re)starts a node from what its log store holds. */
  start(id: number): RaftEngine {
    // A crash loses the writes that were not durable yet.
    if (this.heldWrites.has(id)) this.heldWrites.set(id, []);
    const log = this.logs.get(id) ?? new MemoryLog();
    this.logs.set(id, log);
    this.applied.set(id, []);
    this.reads.set(id, []);
    const engine = new RaftEngine({ id: NodeId.of(id), voters: this.ids.map(NodeId.of), log, hardState: log.hardState, seed: id, ...this.options });
    this.engines.set(id, engine);
    return engine;
  }

  engine(id: number): RaftEngine {
    const e = this.engines.get(id);
    if (e === undefined) throw new Error(`no node ${id}`);
    return e;
  }

  /**
   * Carries out one Ready of `id`, if it has one. Its write is durable at
   * once, unless the node holds its writes (`holdWrites`): then they wait,
   * with the messages that depend on them, for `persist(id)`.
   */
  processReady(id: number): string[] {
    const engine = this.engine(id);
    if (!engine.hasReady()) return [];
    const rd = engine.ready();
    const log = this.logs.get(id) as MemoryLog;
    if (rd.installSnapshot) this.installs.set(id, rd.installSnapshot);
    this.mailbox.push(...rd.messages);
    const held = this.heldWrites.get(id);
    if (held === undefined) this.write(id, rd.write, rd.messagesAfterWrite);
    else if (rd.write !== undefined || rd.messagesAfterWrite.length > 0) held.push({ write: rd.write, after: rd.messagesAfterWrite });
    if (rd.compactTo !== undefined) log.compact(rd.compactTo);
    (this.applied.get(id) as Entry[]).push(...rd.committed);
    for (const r of rd.readStates) this.reads.get(id)?.push(`${r.id}@${r.index}`);
    for (const r of rd.droppedReads) this.reads.get(id)?.push(`${r.id}:${r.reason}`);
    engine.advance(rd);
    return formatReady(id, rd);
  }

  /** From now on, `id`'s writes wait for `persist(id)` (a slow disk); the leader replicates meanwhile. */
  holdWrites(id: number): void {
    if (!this.heldWrites.has(id)) this.heldWrites.set(id, []);
  }

  /** Makes every write `id` holds durable, in order, and releases the messages waiting for them. */
  persist(id: number): string[] {
    const held = this.heldWrites.get(id) ?? [];
    const out: string[] = [];
    for (const { write, after } of held.splice(0)) {
      this.write(id, write, after);
      if (write !== undefined) out.push(`persisted ${id}: up to ${write.durableTo.index}@${write.durableTo.term}`);
      for (const m of after) out.push(`  send ${formatMessage(m)}`);
    }
    return out;
  }

  private write(id: number, write: StorageWrite | undefined, after: readonly Message[]): void {
    const log = this.logs.get(id) as MemoryLog;
    if (write !== undefined) {
      if (write.reset) log.reset(write.reset.index, write.reset.term);
      log.append(write.entries);
      if (write.hardState) log.hardState = write.hardState;
      this.engine(id).persisted(write.durableTo);
    }
    this.mailbox.push(...after);
  }

  /** Delivers every message in the mailbox (optionally only those to `only`); cut links drop them. */
  deliver(only?: number): string[] {
    const out: string[] = [];
    const keep: Message[] = [];
    const batch = this.mailbox;
    this.mailbox = [];
    for (const m of batch) {
      if (only !== undefined && m.to !== only) {
        keep.push(m);
        continue;
      }
      if (this.cut.has(`${m.from}>${m.to}`) || !this.engines.has(m.to)) {
        out.push(`drop ${formatMessage(m)}`);
        continue;
      }
      this.engine(m.to).step(m);
    }
    this.mailbox = keep.concat(this.mailbox);
    return out;
  }

  /** Processes Readys and delivers messages until nothing is left to do. */
  stabilize(): string[] {
    const out: string[] = [];
    for (let round = 0; round < 1000; round++) {
      let progressed = false;
      for (const id of this.engines.keys()) {
        const lines = this.processReady(id);
        if (lines.length > 0) progressed = true;
        out.push(...lines);
      }
      if (this.mailbox.length > 0) {
        progressed = true;
        out.push(...this.deliver());
      }
      if (!progressed) return out;
    }
    throw new Error("the cluster did not stabilize");
  }

  /** Cuts both directions between each pair of groups. */
  partition(groups: readonly (readonly number[])[]): void {
    for (const a of groups)
      for (const b of groups) {
        if (a === b) continue;
        for (const x of a) for (const y of b) this.cut.add(`${x}>${y}`);
      }
  }

  cutLink(from: number, to: number): void {
    this.cut.add(`${from}>${to}`);
  }

  heal(): void {
    this.cut.clear();
  }

  /** Ticks a node n times. */
  tick(id: number, n = 1): void {
    for (let i = 0; i < n; i++) this.engine(id).tick();
  }

  /** Elects `id` and settles the cluster. */
  elect(id: number): void {
    this.engine(id).campaign();
    this.stabilize();
  }

  /** Takes a snapshot of `id` at its applied index (the engine only needs the manifest). */
  snapshot(id: number): SnapshotMeta {
    const e = this.engine(id);
    const { applied } = e.status();
    const meta = fakeSnapshot(applied, e.termAt(applied) ?? 0, this.ids);
    e.snapshotTaken(meta);
    return meta;
  }

  /** Completes the install `id` asked for, as if fetched and restored. */
  finishInstall(id: number, ok = true): void {
    const target = this.installs.get(id);
    if (target === undefined) throw new Error(`node ${id} is installing nothing`);
    this.installs.delete(id);
    if (ok) this.engine(id).snapshotInstalled(target.meta);
    else this.engine(id).snapshotFailed(target.meta);
  }

  appliedData(id: number): string[] {
    return (this.applied.get(id) ?? []).filter((e) => e.kind === "normal").map((e) => decoder.decode(e.data));
  }
}
