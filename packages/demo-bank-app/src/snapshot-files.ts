import { RaftError, type SnapshotFileSource, type StateMachineSnapshot } from "@raft/core/contracts";
import type { FrozenAccounts } from "./account-table.js";
import { packChunks } from "./chunk-packer.js";
import type { FrozenRequests } from "./request-table.js";
import { ACCOUNTS_FILE, HEADER_FILE, REQUESTS_FILE, accountLine, headerLine, requestLine, type SnapshotHeader } from "./snapshot-format.js";

/** Lines are joined into pieces of about this many characters before encoding: fewer, larger encoder calls. */
const PIECE_CHARS = 16 * 1024;

/**
 * A snapshot's files, encoded lazily from frozen views as they are read, so
 * memory holds one chunk at a time whatever the number of accounts. The views
 * are released by `release()` or once every file has been read to its end;
 * reading after that fails with `Aborted`.
 */
export function snapshotFiles(header: SnapshotHeader, accounts: FrozenAccounts, requests: FrozenRequests, chunkBytes: number): StateMachineSnapshot {
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    accounts.release();
    requests.release();
  };
  const unread = new Set<string>([HEADER_FILE, ACCOUNTS_FILE, REQUESTS_FILE]);
  const file = (name: string, pieces: () => Iterable<string>): SnapshotFileSource => ({
    name,
    async *chunks() {
      const aborted = () => new RaftError("Aborted", `bank snapshot at ${header.appliedIndex} was released; its files can no longer be read`);
      if (released) throw aborted();
      for await (const chunk of packChunks(pieces(), chunkBytes)) {
        // Released while this chunk was built: it may hold values the views no longer protect.
        if (released) throw aborted();
        yield chunk;
      }
      unread.delete(name);
      if (unread.size === 0) release();
    },
  });
  return {
    files: [
      file(HEADER_FILE, () => [headerLine(header)]),
      file(ACCOUNTS_FILE, () => joined(accounts.count, (p) => accountLine(accounts.idAt(p), accounts.balanceAt(p)))),
      file(REQUESTS_FILE, () => joined(requests.count, (i) => requestLine(requests.at(i)))),
    ],
    release,
  };
}

function* joined(count: number, line: (i: number) => string): Generator<string> {
  let piece = "";
  for (let i = 0; i < count; i++) {
    piece += line(i);
    if (piece.length >= PIECE_CHARS) {
      yield piece;
      piece = "";
    }
  }
  if (piece.length > 0) yield piece;
}
