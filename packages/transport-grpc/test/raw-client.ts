import { ChannelCredentials, Client, Metadata, type ServiceError } from "@grpc/grpc-js";

const SERVICE = "/raft.transport.v1.RaftTransport";
const pass = (b: Buffer): Buffer => b;

/** Call metadata as a well-behaved node sends it; override any key, or set it to undefined to leave it out. */
export function metadata(values: Record<string, string | undefined>): Metadata {
  const md = new Metadata();
  for (const [k, v] of Object.entries({ "raft-cluster-id": "bank", "raft-from": "1", "raft-to": "2", ...values })) if (v !== undefined) md.set(k, v);
  return md;
}

/**
 * A grpc-js client that speaks the service with raw bytes: what a buggy or
 * hostile peer can send past the protobuf layer.
 */
export class RawClient {
  readonly client: Client;

  constructor(address: string, credentials = ChannelCredentials.createInsecure(), maxSend = 64 << 20) {
    this.client = new Client(address, credentials, { "grpc.max_send_message_length": maxSend, "grpc.use_local_subchannel_pool": 1, "grpc.enable_retries": 0 });
  }

  /** Opens a Messages stream, writes `frames` (raw protobuf `Frame` bytes), ends it, and resolves with how it ended. */
  messages(md: Metadata, frames: readonly Buffer[]): Promise<{ error: ServiceError | null; response: Buffer | undefined }> {
    return new Promise((resolve) => {
      const call = this.client.makeClientStreamRequest(`${SERVICE}/Messages`, pass, pass, md, {}, (error, response) => resolve({ error, response }));
      call.on("error", () => {});
      for (const f of frames) call.write(f);
      call.end();
    });
  }

  /** A FetchSnapshot call with raw request bytes; resolves with the chunks' sizes and how it ended. */
  fetchSnapshot(md: Metadata, request: Buffer): Promise<{ error: ServiceError | undefined; chunks: number }> {
    return new Promise((resolve) => {
      const call = this.client.makeServerStreamRequest(`${SERVICE}/FetchSnapshot`, pass, pass, request, md, {});
      let chunks = 0;
      call.on("data", () => chunks++);
      call.on("error", (error: ServiceError) => resolve({ error, chunks }));
      call.on("end", () => resolve({ error: undefined, chunks }));
    });
  }

  close(): void {
    this.client.close();
  }
}
