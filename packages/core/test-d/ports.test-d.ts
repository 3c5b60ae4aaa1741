// Pins the shapes of the ports (the contracts adapters implement) and of the
// entry points users call, as the published declarations give them. A change
// here is a change every adapter or user must follow: it takes a changeset.
import type { Entry, HardState, Index, Message, NodeId, SnapshotMeta, Term } from "@raft/core";
import type {
  AddressBook,
  Clock,
  Command,
  FetchSnapshotOptions,
  LocatedSnapshot,
  LogReader,
  LogStore,
  LogWrite,
  Logger,
  OpenOptions,
  SnapshotDraft,
  SnapshotFileStream,
  SnapshotReception,
  SnapshotRequest,
  SnapshotStore,
  SnapshotWriter,
  StateMachine,
  StateMachineSnapshot,
  Transport,
  TransportHandlers,
} from "@raft/core/contracts";
import type { LogStoreFactory, SnapshotStoreFactory, StateMachineHarness, TransportFactory } from "@raft/core/conformance";
import { runLogStoreContract, runSnapshotStoreContract, runStateMachineContract, runTransportContract } from "@raft/core/conformance";
import type { RaftNode, RaftNodeOptions } from "@raft/core/runtime";
import type { InMemoryNetwork, MemorySnapshotStore, SimClock } from "@raft/core/testing";
import { expectTypeOf } from "vitest";

// LogStore: a synchronous reader of what is durable, asynchronous writes.
expectTypeOf<LogStore>().toMatchTypeOf<LogReader>();
expectTypeOf<LogReader["firstIndex"]>().toEqualTypeOf<() => Index>();
expectTypeOf<LogReader["lastIndex"]>().toEqualTypeOf<() => Index>();
expectTypeOf<LogReader["term"]>().toEqualTypeOf<(index: Index) => Term>();
expectTypeOf<LogReader["entries"]>().toEqualTypeOf<(lo: Index, hi: Index, maxBytes: number) => Entry[]>();
expectTypeOf<LogStore["loadHardState"]>().toEqualTypeOf<() => Promise<HardState>>();
expectTypeOf<LogStore["save"]>().toEqualTypeOf<(write: LogWrite) => Promise<void>>();
expectTypeOf<LogStore["compact"]>().toEqualTypeOf<(index: Index) => Promise<void>>();
expectTypeOf<LogStore["close"]>().toEqualTypeOf<() => Promise<void>>();
expectTypeOf<LogWrite["entries"]>().toEqualTypeOf<readonly Entry[]>();
expectTypeOf<LogWrite["hardState"]>().toEqualTypeOf<HardState | undefined>();
expectTypeOf<LogWrite["reset"]>().toEqualTypeOf<{ readonly index: Index; readonly term: Term } | undefined>();

// SnapshotStore: create/receive through a writer; read by id and file; optional location support.
expectTypeOf<SnapshotStore["create"]>().toEqualTypeOf<(draft: SnapshotDraft) => Promise<SnapshotWriter>>();
expectTypeOf<SnapshotStore["receive"]>().toEqualTypeOf<(meta: SnapshotMeta) => Promise<SnapshotReception>>();
expectTypeOf<SnapshotStore["latest"]>().toEqualTypeOf<() => Promise<SnapshotMeta | undefined>>();
expectTypeOf<SnapshotStore["list"]>().toEqualTypeOf<() => Promise<SnapshotMeta[]>>();
expectTypeOf<SnapshotStore["get"]>().toEqualTypeOf<(id: string) => Promise<SnapshotMeta>>();
expectTypeOf<SnapshotStore["open"]>().toEqualTypeOf<(id: string, file: string, options?: OpenOptions) => AsyncIterable<Uint8Array>>();
expectTypeOf<OpenOptions["reuseBuffers"]>().toEqualTypeOf<boolean | undefined>();
expectTypeOf<SnapshotStore["verify"]>().toEqualTypeOf<(id: string) => Promise<void>>();
expectTypeOf<SnapshotStore["pin"]>().toEqualTypeOf<(id: string) => () => void>();
expectTypeOf<SnapshotStore["prune"]>().toEqualTypeOf<(keep: number) => Promise<string[]>>();
expectTypeOf<SnapshotStore["locate"]>().toEqualTypeOf<((id: string) => Promise<string | undefined>) | undefined>();
expectTypeOf<SnapshotStore["canRead"]>().toEqualTypeOf<((location: string) => boolean) | undefined>();
expectTypeOf<SnapshotStore["openLocated"]>().toEqualTypeOf<((location: string) => Promise<LocatedSnapshot>) | undefined>();
expectTypeOf<SnapshotStore["close"]>().toEqualTypeOf<() => Promise<void>>();
expectTypeOf<SnapshotWriter["write"]>().toEqualTypeOf<(file: string, chunk: Uint8Array) => Promise<void>>();
expectTypeOf<SnapshotWriter["flush"]>().toEqualTypeOf<() => Promise<void>>();
expectTypeOf<SnapshotWriter["commit"]>().toEqualTypeOf<() => Promise<SnapshotMeta>>();
expectTypeOf<SnapshotWriter["abort"]>().toEqualTypeOf<() => Promise<void>>();
expectTypeOf<SnapshotReception["writer"]>().toEqualTypeOf<SnapshotWriter>();
expectTypeOf<SnapshotReception["progress"]>().toEqualTypeOf<ReadonlyMap<string, number>>();

// Transport: send never returns a promise (never blocks); snapshots are pulled as a stream.
expectTypeOf<Transport["start"]>().toEqualTypeOf<(handlers: TransportHandlers) => Promise<void>>();
expectTypeOf<Transport["send"]>().toEqualTypeOf<(messages: readonly Message[]) => void>();
expectTypeOf<Transport["fetchSnapshot"]>().toEqualTypeOf<(peer: NodeId, request: SnapshotRequest, signal: AbortSignal, options?: FetchSnapshotOptions) => AsyncIterable<Uint8Array>>();
expectTypeOf<FetchSnapshotOptions["reuseBuffers"]>().toEqualTypeOf<boolean | undefined>();
expectTypeOf<Transport["updatePeers"]>().toEqualTypeOf<((addresses: AddressBook) => void) | undefined>();
expectTypeOf<Transport["close"]>().toEqualTypeOf<() => Promise<void>>();
expectTypeOf<TransportHandlers["onMessage"]>().toEqualTypeOf<(message: Message) => void>();
expectTypeOf<TransportHandlers["onSnapshotRequest"]>().toEqualTypeOf<(from: NodeId, request: SnapshotRequest, signal: AbortSignal) => AsyncIterable<Uint8Array>>();
expectTypeOf<AddressBook>().toEqualTypeOf<ReadonlyMap<number, string>>(); // plain keys: transports check every entry (usableAddresses)

// StateMachine: one result per command, synchronous or not; snapshot as files; restore from a stream.
expectTypeOf<StateMachine<string>["apply"]>().toEqualTypeOf<(commands: readonly Command[]) => string[] | Promise<string[]>>();
expectTypeOf<StateMachine["snapshot"]>().toEqualTypeOf<() => StateMachineSnapshot | Promise<StateMachineSnapshot>>();
expectTypeOf<StateMachine["restore"]>().toEqualTypeOf<(meta: SnapshotMeta, files: SnapshotFileStream) => Promise<void>>();
expectTypeOf<StateMachine["reuseRestoreBuffers"]>().toEqualTypeOf<boolean | undefined>();
expectTypeOf<Command>().toEqualTypeOf<{ readonly index: Index; readonly term: Term; readonly data: Uint8Array }>();

// Clock and Logger: what the runtime needs from the host.
expectTypeOf<Clock["now"]>().toEqualTypeOf<() => number>();
expectTypeOf<Clock["setTimeout"]>().toEqualTypeOf<(fn: () => void, ms: number) => () => void>();
expectTypeOf<Logger["warn"]>().toEqualTypeOf<(message: string, fields?: Record<string, unknown>) => void>();

// RaftNode takes the four ports (snapshots included), and its result type from the state machine.
expectTypeOf<RaftNodeOptions<string>["log"]>().toEqualTypeOf<LogStore>();
expectTypeOf<RaftNodeOptions<string>["snapshots"]>().toEqualTypeOf<SnapshotStore>();
expectTypeOf<RaftNodeOptions<string>["stateMachine"]>().toEqualTypeOf<StateMachine<string>>();
expectTypeOf<RaftNodeOptions<string>["transport"]>().toEqualTypeOf<Transport>();
expectTypeOf<RaftNode<string>["propose"]>().parameter(0).toEqualTypeOf<Uint8Array>();
expectTypeOf<ReturnType<RaftNode<string>["propose"]>>().toEqualTypeOf<Promise<string>>();
expectTypeOf<RaftNode["start"]>().toEqualTypeOf<() => Promise<void>>();
expectTypeOf<RaftNode["stop"]>().returns.toEqualTypeOf<Promise<void>>();

// The testing kit's stand-ins implement the ports.
expectTypeOf<ReturnType<InMemoryNetwork["transport"]>>().toMatchTypeOf<Transport>();
expectTypeOf<MemorySnapshotStore>().toMatchTypeOf<SnapshotStore>();
expectTypeOf<SimClock>().toMatchTypeOf<Clock>();

// Conformance suites: one call with a factory.
expectTypeOf(runLogStoreContract).toEqualTypeOf<(name: string, factory: LogStoreFactory) => void>();
expectTypeOf(runSnapshotStoreContract).toEqualTypeOf<(name: string, factory: SnapshotStoreFactory) => void>();
expectTypeOf(runTransportContract).toEqualTypeOf<(name: string, factory: TransportFactory) => void>();
expectTypeOf(runStateMachineContract<string>).toEqualTypeOf<(name: string, harness: StateMachineHarness<string>) => void>();
expectTypeOf<LogStoreFactory["create"]>().returns.resolves.toHaveProperty("store").toEqualTypeOf<LogStore>();
