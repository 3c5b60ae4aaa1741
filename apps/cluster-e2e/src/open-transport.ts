import type { Logger, Transport } from "@raft/core/contracts";
import { GrpcTransport } from "@raft/transport-grpc";
import { WsTransport } from "@raft/transport-ws";

export interface TransportChoice {
  kind: "grpc" | "ws";
  id: number;
  clusterId: string;
  port: number;
  peers: Record<string, string>;
  logger: Logger;
}

/** The same node over either network transport. */
export async function openTransport(choice: TransportChoice): Promise<Transport> {
  const options = { id: choice.id, clusterId: choice.clusterId, listen: { host: "127.0.0.1", port: choice.port }, peers: choice.peers, logger: choice.logger };
  return choice.kind === "grpc" ? GrpcTransport.listen(options) : WsTransport.listen(options);
}
