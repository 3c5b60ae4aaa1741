// The parts of s3rver 3.7 (no published types) that the local S3 server uses.

declare module "s3rver" {
  import type { IncomingMessage, Server, ServerResponse } from "node:http";

  export interface S3rverOptions {
    address?: string;
    port?: number;
    directory?: string;
    silent?: boolean;
    resetOnClose?: boolean;
    allowMismatchedSignatures?: boolean;
    vhostBuckets?: boolean;
    configureBuckets?: { name: string }[];
  }

  /** The Koa context s3rver's middleware runs with (what the local server reads and sets). */
  export interface S3rverContext {
    readonly path: string;
    readonly method: string;
    readonly query: Record<string, string | string[] | undefined>;
    readonly req: IncomingMessage;
    readonly res: ServerResponse;
    get(header: string): string;
    body: unknown;
    status: number;
  }

  export type S3rverMiddleware = (ctx: S3rverContext, next: () => Promise<void>) => Promise<void>;

  export default class S3rver {
    constructor(options: S3rverOptions);
    /** Koa's middleware stack; the last one is s3rver's router. */
    readonly middleware: S3rverMiddleware[];
    readonly httpServer: Server | undefined;
    run(): Promise<{ address: string; port: number }>;
    close(): Promise<void>;
  }
}

declare module "s3rver/lib/models/error.js" {
  export default class S3Error extends Error {
    constructor(code: string, message: string, detail?: Record<string, unknown>);
  }
}
