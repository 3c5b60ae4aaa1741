import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Entry } from "@raft/core/contracts";
import { afterEach } from "vitest";
import { Index, Term } from "@raft/core/contracts";

const dirs: string[] = [];

/** A new temporary directory, removed after the test whatever its outcome. */
export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "raft-log-sqlite-"));
  dirs.push(dir);
  return dir;
}

/** Registers the clean-up of `tempDir()`s; call once at the top of a test file. */
export function removeTempDirsAfterEach(): void {
  afterEach(async () => {
    await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  });
}

export const text = (s: string) => new TextEncoder().encode(s);
export const untext = (b: Uint8Array | undefined) => new TextDecoder().decode(b);

export function entry(index: number, term: number, data = `e${index}`): Entry {
  return { index: Index.of(index), term: Term.of(term), kind: "normal", data: text(data) };
}

/** Entries lo..hi (inclusive) at `term`, each with `bytes` bytes of payload. */
export function entries(lo: number, hi: number, term: number, bytes?: number): Entry[] {
  const out: Entry[] = [];
  for (let i = lo; i <= hi; i++) out.push(bytes === undefined ? entry(i, term) : { index: Index.of(i), term: Term.of(term), kind: "normal", data: new Uint8Array(bytes).fill(i % 251) });
  return out;
}
