// Type tests (checked by `tsc -p tsconfig.json`): the public surface.
import type { AddressBook, Transport } from "@raft/core/contracts";
import { expectTypeOf } from "vitest";
import { GrpcTransport, protoFile, type GrpcTransportOptions, type GrpcTransportStats } from "../src/index.js";

expectTypeOf<GrpcTransport>().toMatchTypeOf<Transport>();
expectTypeOf(GrpcTransport.listen).parameter(0).toEqualTypeOf<GrpcTransportOptions>();
expectTypeOf(GrpcTransport.listen).returns.resolves.toEqualTypeOf<GrpcTransport>();
expectTypeOf<GrpcTransport["address"]>().toEqualTypeOf<string>();
expectTypeOf<GrpcTransport["updatePeers"]>().parameter(0).toEqualTypeOf<AddressBook>();
expectTypeOf<ReturnType<GrpcTransport["stats"]>>().toEqualTypeOf<GrpcTransportStats>();
expectTypeOf<GrpcTransportStats["rejectedFrames"]>().toEqualTypeOf<number>();
expectTypeOf(protoFile).toEqualTypeOf<URL>();
// The options shape shared with @raft/transport-ws: the required part, and peers as an object or a Map.
expectTypeOf<{ id: number; clusterId: string; listen: { host: string; port: number } }>().toMatchTypeOf<GrpcTransportOptions>();
expectTypeOf<{ id: number; clusterId: string; listen: { host: string; port: number }; peers: Map<number, string> }>().toMatchTypeOf<GrpcTransportOptions>();
expectTypeOf<{ id: number; clusterId: string; listen: { host: string; port: number }; peers: Record<string, string> }>().toMatchTypeOf<GrpcTransportOptions>();
