import type { S3ClientConfig } from "@aws-sdk/client-s3";
import { RaftError, type Logger } from "@raft/core/contracts";
import { z } from "zod";

const MiB = 1 << 20;
const GiB = 1 << 30;

/** The smallest part S3 accepts in a multipart upload, except the last one. */
export const MIN_PART_SIZE = 5 * MiB;

/**
 * The store's configuration, checked with zod. Credentials are not part of
 * it: they come from the AWS SDK's standard provider chain (environment,
 * shared files, SSO, container and instance roles), or from `credentials`
 * in the options, and are never logged.
 */
export const s3SnapshotStoreConfigSchema = z.strictObject({
  /** The bucket; it must exist. */
  bucket: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "must be an S3 bucket name: 3 to 63 lowercase letters, digits, dots and hyphens")
    .describe("the bucket; it must exist"),
  /** Key prefix for this cluster's objects, e.g. "clusters/payments". No leading slash; a trailing one is added. Default: none. */
  prefix: z
    .string()
    .max(512)
    .regex(/^(?:[A-Za-z0-9!_.*'()-]+\/)*[A-Za-z0-9!_.*'()-]*\/?$/, "must be key segments separated by '/', without a leading '/' or empty segments")
    .refine((p) => !p.split("/").some((s) => s === "." || s === ".."), "must not contain '.' or '..' segments")
    .default("")
    .transform((p) => (p === "" || p.endsWith("/") ? p : `${p}/`))
    .describe("key prefix for this cluster, e.g. clusters/payments; no leading /, no . or .. segments; a trailing / is added"),
  /** The bucket's region. Default us-east-1. */
  region: z
    .string()
    .regex(/^[a-z0-9-]{1,64}$/, "must be a region name like eu-west-1")
    .default("us-east-1")
    .describe("the bucket's region"),
  /** A custom endpoint (an S3-compatible server, a VPC endpoint): an http(s) URL. Default: AWS's. */
  endpoint: z
    .url({ protocol: /^https?$/, error: "must be an http or https URL" })
    .transform((u) => u.replace(/\/+$/, ""))
    .optional()
    .describe("an http(s) URL of an S3-compatible service or a VPC endpoint (default: AWS's)"),
  /** Path-style addressing (endpoint/bucket/key) instead of virtual-hosted; true for most local servers. Default false. */
  forcePathStyle: z.boolean().default(false).describe("path-style requests (endpoint/bucket/key); true for most local servers"),
  /** Bytes per multipart part (5 MiB to 5 GiB). Memory per upload is about partSize × (parallelism + 1). Default 8 MiB. */
  partSize: z
    .number()
    .int()
    .min(MIN_PART_SIZE)
    .max(5 * GiB)
    .default(8 * MiB)
    .describe("bytes per multipart part; memory per upload is about partSize × (parallelism + 1)"),
  /** Parts uploaded at once per file being written. Default 4. */
  parallelism: z.number().int().min(1).max(64).default(4).describe("parts uploaded at once per file being written"),
  /**
   * This store's name among the stores sharing the prefix (the node id, say):
   * a store cleans up only its own abandoned uploads. One process per owner.
   * Default "node".
   */
  owner: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, "must be 1 to 64 letters, digits, '_' or '-'")
    .default("node")
    .describe("this store's name among the stores sharing the prefix (the node id, say): the scope of its crash clean-up; one process per owner"),
  /** Attempts per S3 request, the first included; throttling, network and 5xx failures are retried. Default 5. */
  maxAttempts: z.number().int().min(1).max(20).default(5).describe("attempts per S3 request, the first included; throttling, network and 5xx failures are retried"),
  /** Backoff before retry n is a random delay (full jitter) in [0, min(retryMaxMs, retryBaseMs × 2^(n-1))]. Default 100. */
  retryBaseMs: z.number().int().min(1).max(60_000).default(100).describe("retry n sleeps a random time (full jitter) in [0, min(retryMaxMs, retryBaseMs × 2^(n-1))]"),
  /** The cap on one backoff delay. Default 5000. */
  retryMaxMs: z.number().int().min(1).max(300_000).default(5_000).describe("the cap on one backoff delay"),
  /** TCP connect timeout per request. Default 5000. */
  connectTimeoutMs: z.number().int().min(1).max(600_000).default(5_000).describe("TCP connect timeout per request"),
  /** A request whose socket is idle this long fails (and is retried). Default 60000. */
  requestTimeoutMs: z.number().int().min(1).max(3_600_000).default(60_000).describe("a request whose socket is idle this long fails (and is retried)"),
});

/** The configuration as written (defaults optional). */
export type S3SnapshotStoreConfig = z.input<typeof s3SnapshotStoreConfigSchema>;
/** The configuration after parsing: every default filled in, the prefix ending in "/" (or empty). */
export type ResolvedConfig = z.output<typeof s3SnapshotStoreConfigSchema>;

/** `S3SnapshotStore.open()`'s argument: the configuration, plus what cannot be configuration. */
export interface S3SnapshotStoreOptions extends S3SnapshotStoreConfig {
  /** Where warnings and retries go. Default: silent. Credentials never reach it. */
  logger?: Logger;
  /** Clock for `createdAt`. Default `Date.now`. */
  now?: () => number;
  /** Overrides the SDK's default credential provider chain (e.g. a role provider). Never logged. */
  credentials?: S3ClientConfig["credentials"];
}

/** Parses the options; a bad field is `RaftError("InvalidConfig")` naming it. */
export function parseOptions(options: S3SnapshotStoreOptions): { config: ResolvedConfig; logger: Logger | undefined; now: (() => number) | undefined; credentials: S3ClientConfig["credentials"] } {
  if (typeof options !== "object" || options === null) throw new RaftError("InvalidConfig", "S3SnapshotStore options must be an object");
  const { logger, now, credentials, ...rest } = options;
  if (now !== undefined && typeof now !== "function") throw new RaftError("InvalidConfig", "S3SnapshotStore option now must be a function");
  if (logger !== undefined && (typeof logger !== "object" || logger === null || typeof logger.warn !== "function")) {
    throw new RaftError("InvalidConfig", "S3SnapshotStore option logger must be a Logger");
  }
  const parsed = s3SnapshotStoreConfigSchema.safeParse(rest);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.length > 0 ? i.path.join(".") : "config"}: ${i.message}`);
    throw new RaftError("InvalidConfig", `invalid S3SnapshotStore config: ${problems.join("; ")}`);
  }
  if (parsed.data.retryMaxMs < parsed.data.retryBaseMs) throw new RaftError("InvalidConfig", "invalid S3SnapshotStore config: retryMaxMs must be at least retryBaseMs");
  return { config: parsed.data, logger, now, credentials };
}
