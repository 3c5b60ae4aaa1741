// Each adapter, as published, implements its port and keeps the entry points
// users call (open/listen, address, updatePeers for port-0 wiring). The ports'
// own shapes are pinned in packages/core/test-d.
import type { LogStore, SnapshotStore, Transport, AddressBook } from "@raft/core/contracts";
import type { MemoryLogStore } from "@raft/log-memory";
import type { SqliteLogStore, SqliteLogStoreOptions } from "@raft/log-sqlite";
import type { DiskSnapshotStore, DiskSnapshotStoreOptions } from "@raft/snapshot-store-disk";
import type { S3SnapshotStore, S3SnapshotStoreOptions } from "@raft/snapshot-store-s3";
import { GrpcTransport, type GrpcTransportOptions } from "@raft/transport-grpc";
import { WsTransport, type WsTransportOptions } from "@raft/transport-ws";
import { SqliteLogStore as SqliteLogStoreClass } from "@raft/log-sqlite";
import { DiskSnapshotStore as DiskSnapshotStoreClass } from "@raft/snapshot-store-disk";
import { S3SnapshotStore as S3SnapshotStoreClass } from "@raft/snapshot-store-s3";
import { expectTypeOf } from "vitest";

expectTypeOf<MemoryLogStore>().toMatchTypeOf<LogStore>();
expectTypeOf<SqliteLogStore>().toMatchTypeOf<LogStore>();
expectTypeOf(SqliteLogStoreClass.open).toEqualTypeOf<(options: SqliteLogStoreOptions) => Promise<SqliteLogStore>>();

expectTypeOf<DiskSnapshotStore>().toMatchTypeOf<SnapshotStore>();
expectTypeOf(DiskSnapshotStoreClass.open).toEqualTypeOf<(options: DiskSnapshotStoreOptions) => Promise<DiskSnapshotStore>>();
expectTypeOf<S3SnapshotStore>().toMatchTypeOf<SnapshotStore>();
expectTypeOf(S3SnapshotStoreClass.open).toEqualTypeOf<(options: S3SnapshotStoreOptions) => Promise<S3SnapshotStore>>();
// An S3 store locates its snapshots: the optional location methods are there.
expectTypeOf<S3SnapshotStore["locate"]>().toBeFunction();
expectTypeOf<S3SnapshotStore["canRead"]>().toBeFunction();
expectTypeOf<S3SnapshotStore["openLocated"]>().toBeFunction();

// Transports: the port, plus what port-0 wiring needs (a bound address, updatePeers always present).
expectTypeOf<GrpcTransport>().toMatchTypeOf<Transport>();
expectTypeOf<WsTransport>().toMatchTypeOf<Transport>();
expectTypeOf<GrpcTransport["address"]>().toEqualTypeOf<string>();
expectTypeOf<WsTransport["address"]>().toEqualTypeOf<string>();
expectTypeOf<GrpcTransport["updatePeers"]>().toEqualTypeOf<(addresses: AddressBook) => void>();
expectTypeOf<WsTransport["updatePeers"]>().toEqualTypeOf<(addresses: AddressBook) => void>();
expectTypeOf(GrpcTransport.listen).toEqualTypeOf<(options: GrpcTransportOptions) => Promise<GrpcTransport>>();
expectTypeOf(WsTransport.listen).toEqualTypeOf<(options: WsTransportOptions) => Promise<WsTransport>>();
// The minimal options of the examples: id, clusterId and where to listen.
expectTypeOf({ id: 1, clusterId: "kv", listen: { host: "127.0.0.1", port: 0 } }).toMatchTypeOf<GrpcTransportOptions>();
expectTypeOf({ id: 1, clusterId: "kv", listen: { host: "127.0.0.1", port: 0 } }).toMatchTypeOf<WsTransportOptions>();
