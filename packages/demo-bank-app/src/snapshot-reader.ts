import { RaftError, type Index, type SnapshotFileStream, type SnapshotMeta } from "@raft/core/contracts";
import { z } from "zod";
import { AccountTable } from "./account-table.js";
import type { BankState } from "./execute.js";
import { corrupt, readLines } from "./line-reader.js";
import { RequestTable } from "./request-table.js";
import {
  ACCOUNTS_FILE,
  HEADER_FILE,
  MAX_LINE_LENGTH,
  REQUESTS_FILE,
  SNAPSHOT_FILES,
  headerLine,
  parseAccountLine,
  parseRequestLine,
  snapshotHeaderSchema,
  type SnapshotHeader,
} from "./snapshot-format.js";

export interface RestoredBank extends BankState {
  readonly appliedIndex: Index;
}

/**
 * Parses a bank snapshot stream into fresh tables, one chunk at a time, and
 * checks it against its header: counts, total, ids unique, request indices
 * increasing and not past the snapshot. Anything else fails with `Corrupt`; a
 * snapshot taken with another de-duplication capacity fails with `InvalidConfig`.
 */
export async function readBankSnapshot(meta: SnapshotMeta, files: SnapshotFileStream, dedupCapacity: number): Promise<RestoredBank> {
  let header: SnapshotHeader | undefined;
  let accounts: AccountTable | undefined;
  let requests: RequestTable | undefined;
  let n = 0;
  for await (const file of files) {
    const expected = SNAPSHOT_FILES[n++];
    if (file.name !== expected) throw corrupt(file.name, expected === undefined ? "unexpected extra file" : `expected ${expected} here`);
    if (file.name === HEADER_FILE) header = await readHeader(file.chunks, meta, dedupCapacity);
    else if (file.name === ACCOUNTS_FILE) accounts = await readAccounts(file.chunks, header as SnapshotHeader);
    else requests = await readRequests(file.chunks, header as SnapshotHeader);
  }
  if (header === undefined || accounts === undefined || requests === undefined) {
    throw new RaftError("Corrupt", `bank snapshot ${meta.id}: missing file ${SNAPSHOT_FILES[n] ?? ""}`);
  }
  return { accounts, requests, appliedIndex: header.appliedIndex };
}

async function readHeader(chunks: AsyncIterable<Uint8Array>, meta: SnapshotMeta, dedupCapacity: number): Promise<SnapshotHeader> {
  const lines: string[] = [];
  for await (const batch of readLines(HEADER_FILE, chunks, MAX_LINE_LENGTH)) lines.push(...batch);
  if (lines.length !== 1) throw corrupt(HEADER_FILE, `expected one line, found ${lines.length}`);
  let value: unknown;
  try {
    value = JSON.parse(lines[0] as string);
  } catch {
    throw corrupt(HEADER_FILE, "not JSON");
  }
  const parsed = snapshotHeaderSchema.safeParse(value);
  if (!parsed.success) throw corrupt(HEADER_FILE, z.prettifyError(parsed.error).replace(/\n/g, "; "));
  const header = parsed.data;
  if (headerLine(header) !== `${lines[0]}\n`) throw corrupt(HEADER_FILE, "not in canonical form");
  if (header.appliedIndex > meta.index) throw corrupt(HEADER_FILE, `state applied up to ${header.appliedIndex}, past the snapshot's index ${meta.index}`);
  if (header.dedupCapacity !== dedupCapacity) {
    // Nodes with different capacities would forget different requests and answer retries differently.
    throw new RaftError("InvalidConfig", `bank snapshot ${meta.id} was taken with dedupCapacity ${header.dedupCapacity}; this state machine has ${dedupCapacity}. Every node must use the same value`);
  }
  if (header.requests > header.dedupCapacity) throw corrupt(HEADER_FILE, `${header.requests} requests exceed the capacity ${header.dedupCapacity}`);
  return header;
}

async function readAccounts(chunks: AsyncIterable<Uint8Array>, header: SnapshotHeader): Promise<AccountTable> {
  const table = new AccountTable();
  for await (const lines of readLines(ACCOUNTS_FILE, chunks, MAX_LINE_LENGTH)) {
    for (const line of lines) {
      const account = parseAccountLine(line);
      if (account === undefined) throw corrupt(ACCOUNTS_FILE, `line ${table.count + 1} is not an account`);
      const [id, balance] = account;
      if (table.positionOf(id) !== undefined) throw corrupt(ACCOUNTS_FILE, `account ${id} appears twice`);
      if (balance > Number.MAX_SAFE_INTEGER - table.total) throw corrupt(ACCOUNTS_FILE, "the balances add up past Number.MAX_SAFE_INTEGER");
      if (table.count === header.accounts) throw corrupt(ACCOUNTS_FILE, `more than the ${header.accounts} accounts of the header`);
      table.open(id, balance);
    }
  }
  if (table.count !== header.accounts) throw corrupt(ACCOUNTS_FILE, `${table.count} accounts, the header says ${header.accounts} (truncated?)`);
  if (table.total !== header.total) throw corrupt(ACCOUNTS_FILE, `balances add up to ${table.total}, the header says ${header.total}`);
  return table;
}

async function readRequests(chunks: AsyncIterable<Uint8Array>, header: SnapshotHeader): Promise<RequestTable> {
  const table = new RequestTable(header.dedupCapacity);
  let lastIndex = 0;
  for await (const lines of readLines(REQUESTS_FILE, chunks, MAX_LINE_LENGTH)) {
    for (const line of lines) {
      const entry = parseRequestLine(line);
      if (entry === undefined) throw corrupt(REQUESTS_FILE, `line ${table.count + 1} is not a request`);
      if (entry.index <= lastIndex || entry.index > header.appliedIndex) throw corrupt(REQUESTS_FILE, `request ${JSON.stringify(entry.requestId)} at index ${entry.index} is out of order`);
      if (table.get(entry.requestId) !== undefined) throw corrupt(REQUESTS_FILE, `request ${JSON.stringify(entry.requestId)} appears twice`);
      if (table.count === header.requests) throw corrupt(REQUESTS_FILE, `more than the ${header.requests} requests of the header`);
      table.remember(entry);
      lastIndex = entry.index;
    }
  }
  if (table.count !== header.requests) throw corrupt(REQUESTS_FILE, `${table.count} requests, the header says ${header.requests} (truncated?)`);
  return table;
}
