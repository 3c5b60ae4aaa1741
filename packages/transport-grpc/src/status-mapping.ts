import { Metadata, status, type StatusObject } from "@grpc/grpc-js";
import { isRaftError, RaftError, type RaftErrorCode } from "@raft/core/contracts";
import { META } from "./handshake.js";

/**
 * RaftError codes and gRPC status codes, both ways. The serving side's code
 * also travels in the trailers (`raft-error-code`), so a reader gets the
 * exact code even where two RaftError codes share one status.
 */
const TO_STATUS: Record<RaftErrorCode, status> = {
  NotLeader: status.FAILED_PRECONDITION,
  ProposalDropped: status.ABORTED,
  Timeout: status.DEADLINE_EXCEEDED,
  Stopped: status.UNAVAILABLE,
  Compacted: status.OUT_OF_RANGE,
  Unavailable: status.UNAVAILABLE,
  InvalidConfig: status.FAILED_PRECONDITION,
  InvalidMessage: status.INVALID_ARGUMENT,
  StorageFailure: status.INTERNAL,
  Corrupt: status.DATA_LOSS,
  NotFound: status.NOT_FOUND,
  Busy: status.RESOURCE_EXHAUSTED,
  Aborted: status.ABORTED,
  DiskFull: status.RESOURCE_EXHAUSTED,
  ConfigChangeInProgress: status.FAILED_PRECONDITION,
  NotCaughtUp: status.FAILED_PRECONDITION,
};

/** For statuses that carry no `raft-error-code` (grpc-js itself, a proxy, an older peer). */
const FROM_STATUS: Partial<Record<status, RaftErrorCode>> = {
  [status.DEADLINE_EXCEEDED]: "Timeout",
  [status.NOT_FOUND]: "NotFound",
  [status.RESOURCE_EXHAUSTED]: "Busy",
  [status.INVALID_ARGUMENT]: "InvalidMessage",
  [status.ABORTED]: "Aborted",
  [status.DATA_LOSS]: "Corrupt",
  [status.OUT_OF_RANGE]: "Compacted",
};

const CODES = new Set<string>(Object.keys(TO_STATUS));

/** The status (with the RaftError code in its trailers) that ends a call failed by `error`. */
export function statusFor(error: unknown): Partial<StatusObject> & { code: status; details: string; metadata: Metadata } {
  const code: RaftErrorCode = isRaftError(error) ? error.code : "StorageFailure";
  const metadata = new Metadata();
  metadata.set(META.errorCode, code);
  const message = error instanceof Error ? error.message : String(error);
  return { code: TO_STATUS[code], details: message.slice(0, 1024), metadata };
}

/** The RaftError for a call that ended with `s`; anything unrecognised is a network failure (`Unavailable`). */
export function errorFromStatus(s: { code: status; details?: string; metadata?: Metadata | null }, what: string): RaftError {
  const trailer = s.metadata?.get(META.errorCode)[0];
  const code: RaftErrorCode = typeof trailer === "string" && CODES.has(trailer) ? (trailer as RaftErrorCode) : (FROM_STATUS[s.code] ?? "Unavailable");
  return new RaftError(code, `${what}: ${status[s.code] ?? s.code}${s.details ? ` (${s.details.slice(0, 512)})` : ""}`);
}
