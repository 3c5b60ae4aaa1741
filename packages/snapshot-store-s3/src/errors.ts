import { RaftError, isRaftError, type RaftErrorCode } from "@raft/core/contracts";

/**
 * Why an S3 request failed, more precisely than the `RaftError` code: core
 * has no codes for "access denied", "throttled" or "network", so those map to
 * the nearest code (see `codeFor`) and keep their reason here and in the message.
 */
export type S3FailureReason = "not-found" | "access-denied" | "throttled" | "network" | "server" | "corrupt" | "rejected";

/**
 * A failed S3 operation, mapped at the edge: a `RaftError` (so `isRaftError`
 * and `.code` work as for every store) with the precise `reason`, the S3
 * error code if S3 sent one, and the attempts made.
 */
export class S3StoreError extends RaftError {
  readonly reason: S3FailureReason;
  /** The S3 error code (`NoSuchKey`, `SlowDown`, `AccessDenied`, …) or the socket error code (`ECONNREFUSED`, …). */
  readonly s3Code: string | undefined;
  readonly attempts: number;

  constructor(reason: S3FailureReason, message: string, options: { s3Code?: string | undefined; attempts?: number; cause?: unknown } = {}) {
    super(codeFor(reason), message, { cause: options.cause });
    this.reason = reason;
    this.s3Code = options.s3Code;
    this.attempts = options.attempts ?? 1;
  }
}

/**
 * The nearest core code per reason. `Unavailable` and `Busy` are the codes
 * the runtime's snapshot fetcher treats as worth retrying later.
 */
export function codeFor(reason: S3FailureReason): RaftErrorCode {
  switch (reason) {
    case "not-found":
      return "NotFound";
    case "corrupt":
      return "Corrupt";
    case "throttled":
      return "Busy";
    case "network":
    case "server":
      return "Unavailable";
    case "access-denied":
    case "rejected":
      return "StorageFailure";
  }
}

const notFound = new Set(["NoSuchKey", "NoSuchBucket", "NoSuchUpload", "NotFound"]);
const denied = new Set([
  "AccessDenied",
  "InvalidAccessKeyId",
  "SignatureDoesNotMatch",
  "ExpiredToken",
  "InvalidToken",
  "TokenRefreshRequired",
  "AllAccessDisabled",
  "AccountProblem",
  "CredentialsProviderError",
  "Forbidden",
]);
const throttled = new Set([
  "SlowDown",
  "Throttling",
  "ThrottlingException",
  "ThrottledException",
  "RequestThrottled",
  "RequestLimitExceeded",
  "TooManyRequests",
  "TooManyRequestsException",
  "ProvisionedThroughputExceededException",
  "BandwidthLimitExceeded",
  "EC2ThrottledException",
]);
/** The server does not implement the operation: not worth retrying (the store falls back where it can). */
export const unsupported = new Set(["NotImplemented", "MethodNotAllowed"]);
const serverSide = new Set(["InternalError", "ServiceUnavailable", "RequestTimeout", "RequestTimeoutException", "PriorRequestNotComplete"]);
const network = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENETDOWN",
  "EADDRNOTAVAIL",
  "ERR_STREAM_PREMATURE_CLOSE",
  "UND_ERR_SOCKET",
  "TimeoutError",
  "NetworkingError",
]);

interface SdkErrorShape {
  name?: unknown;
  code?: unknown;
  Code?: unknown;
  errno?: unknown;
  message?: unknown;
  $metadata?: { httpStatusCode?: unknown };
  cause?: unknown;
}

/** The S3 or socket error code of a failure, and its HTTP status if S3 answered. */
export function describe(error: unknown): { code: string | undefined; status: number | undefined } {
  const e = (typeof error === "object" && error !== null ? error : {}) as SdkErrorShape;
  const status = typeof e.$metadata?.httpStatusCode === "number" ? e.$metadata.httpStatusCode : undefined;
  for (const c of [e.Code, e.code, e.name]) {
    if (typeof c === "string" && c !== "Error" && c !== "UnknownError" && c !== "S3ServiceException") return { code: c, status };
  }
  return { code: undefined, status };
}

/** Classifies a failure; `undefined` for one that is not S3's or the network's (a bug, an abort). */
export function classify(error: unknown): S3FailureReason | undefined {
  if (isRaftError(error)) return error instanceof S3StoreError ? error.reason : undefined;
  const { code, status } = describe(error);
  if (code !== undefined && throttled.has(code)) return "throttled";
  if (status === 429) return "throttled";
  if (code !== undefined && unsupported.has(code)) return "rejected";
  if (code !== undefined && notFound.has(code)) return "not-found";
  if (code !== undefined && denied.has(code)) return "access-denied";
  if (status === 403 || status === 401) return "access-denied";
  if (status === 404) return "not-found";
  if (code !== undefined && serverSide.has(code)) return "server";
  if (status !== undefined && status >= 500) return status === 503 ? "throttled" : "server";
  if (status !== undefined) return "rejected";
  const cause = (error as SdkErrorShape | null)?.cause;
  const causeCode = cause === undefined ? undefined : describe(cause).code;
  if ((code !== undefined && network.has(code)) || (causeCode !== undefined && network.has(causeCode))) return "network";
  const message = String((error as SdkErrorShape | null)?.message ?? "");
  if (/socket hang up|ECONNREFUSED|ECONNRESET|EPIPE|timed? ?out|network/i.test(message)) return "network";
  return undefined;
}

export function isRetryable(reason: S3FailureReason | undefined): boolean {
  return reason === "throttled" || reason === "network" || reason === "server";
}

/**
 * Maps any failure of `action` on `target` to a `RaftError`: S3 and network
 * failures become `S3StoreError`s; `RaftError`s pass through.
 */
export function s3Error(error: unknown, action: string, target: string, attempts = 1): RaftError {
  if (isRaftError(error)) return error;
  const reason = classify(error) ?? "rejected";
  const { code, status } = describe(error);
  const detail = error instanceof Error ? error.message : String(error);
  const what = [code, status === undefined ? undefined : `HTTP ${status}`].filter((x) => x !== undefined).join(", ");
  const tries = attempts > 1 ? ` after ${attempts} attempts` : "";
  const message = `S3 ${action} ${target} failed${tries}: ${reason}${what === "" ? "" : ` (${what})`}: ${detail}`;
  return new S3StoreError(reason, message, { s3Code: code, attempts, cause: error });
}

export function corrupt(message: string, cause?: unknown): S3StoreError {
  return new S3StoreError("corrupt", message, { cause });
}
