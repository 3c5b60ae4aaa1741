import { createHash } from "node:crypto";
import type { Command, SnapshotFileStream, SnapshotMeta, StateMachineSnapshot } from "@raft/core/contracts";
import { encodeBankCommand, type BankCommand, type BankStateMachine } from "../../src/index.js";
import { Index, NodeId, Term } from "@raft/core/contracts";

export const bytes = (s: string) => new TextEncoder().encode(s);

export const open = (requestId: string, id: string, balance: number): BankCommand => ({ type: "open", requestId, id, balance });
export const deposit = (requestId: string, id: string, amount: number): BankCommand => ({ type: "deposit", requestId, id, amount });
export const withdraw = (requestId: string, id: string, amount: number): BankCommand => ({ type: "withdraw", requestId, id, amount });
export const transfer = (requestId: string, from: string, to: string, amount: number): BankCommand => ({ type: "transfer", requestId, from, to, amount });

/** Feeds a state machine commands at consecutive log indices, as the runtime would. */
export class Feeder {
  next = 1;

  constructor(readonly sm: BankStateMachine) {}

  /** Applies commands (or raw bytes) in one batch; returns their results. */
  apply(...items: (BankCommand | Uint8Array)[]) {
    return this.sm.apply(this.commands(items));
  }

  /** Applies one command; returns its result. */
  one(item: BankCommand | Uint8Array) {
    return this.apply(item)[0];
  }

  commands(items: readonly (BankCommand | Uint8Array)[]): Command[] {
    return items.map((item) => ({ index: Index.of(this.next++), term: Term.of(1), data: item instanceof Uint8Array ? item : encodeBankCommand(item) }));
  }
}

/** A snapshot's files, read to the end into memory. */
export interface ReadFile {
  readonly name: string;
  readonly chunks: Uint8Array[];
}

export async function readAll(snapshot: StateMachineSnapshot): Promise<ReadFile[]> {
  const files: ReadFile[] = [];
  for (const f of snapshot.files) {
    const chunks: Uint8Array[] = [];
    for await (const c of f.chunks()) chunks.push(c);
    files.push({ name: f.name, chunks });
  }
  return files;
}

/** Files as the runtime streams them into `restore`. */
export function streamOf(files: readonly ReadFile[]): SnapshotFileStream {
  return (async function* () {
    for (const f of files) {
      yield {
        name: f.name,
        chunks: (async function* () {
          yield* f.chunks;
        })(),
      };
    }
  })();
}

/** A snapshot stream straight from a live snapshot's files, never held whole. */
export function pipe(snapshot: StateMachineSnapshot): SnapshotFileStream {
  return (async function* () {
    for (const f of snapshot.files) yield { name: f.name, chunks: f.chunks() };
  })();
}

export function fileText(files: readonly ReadFile[], name: string): string {
  const f = files.find((x) => x.name === name);
  if (f === undefined) throw new Error(`no file ${name}`);
  return new TextDecoder().decode(Buffer.concat(f.chunks));
}

/** A manifest for `restore`: only `index` and `id` matter to the bank. */
export function metaAt(index: Index): SnapshotMeta {
  return { id: `test-${index}`, index, term: Term.of(1), membership: { voters: [NodeId.of(1)], learners: [] }, files: [], size: 0, sha256: "", createdAt: 0 };
}

/** A digest of everything observable: accounts in order, total, remembered requests in order, applied index. */
export function fingerprint(sm: BankStateMachine): string {
  const h = createHash("sha256");
  h.update(`applied ${sm.appliedIndex()} total ${sm.total()} accounts ${sm.accountCount()}\n`);
  for (const a of sm.accounts()) h.update(`${a.id} ${a.balance}\n`);
  for (const r of sm.requests()) h.update(`${JSON.stringify(r)}\n`);
  return h.digest("hex");
}
