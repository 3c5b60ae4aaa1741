import { constants } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";
import { errno } from "./errors.js";

/**
 * Direct I/O (O_DIRECT) moves snapshot bytes between disk and memory without
 * the page cache. A snapshot is written once and read back whole (restored,
 * or sent to a peer), and filling fresh page-cache pages is the dearest part
 * of that: on a VM each page first touched costs a fault in the host, 2–3 CPU
 * seconds per GiB measured here, more than hashing it. It also keeps a
 * multi-GiB snapshot from evicting the pages a node's log reads need.
 *
 * Offsets, lengths and buffer addresses must be multiples of the device's
 * block size: `BLOCK` covers 512-byte and 4 KiB devices alike.
 */
export const BLOCK = 4096;

const O_DIRECT: number = (constants as { O_DIRECT?: number }).O_DIRECT ?? 0;

/** WebAssembly memory comes in pages of this size, at a page-aligned address (Buffer memory has no such promise). */
const WASM_PAGE = 65536;
/** The one WebAssembly API used here (the compiler's ES libraries do not declare it). */
const { Memory } = (globalThis as unknown as { WebAssembly: { Memory: new (size: { initial: number; maximum: number; shared?: boolean }) => { buffer: ArrayBuffer | SharedArrayBuffer } } })
  .WebAssembly;

/**
 * Opens `path` for direct reads or writes, or gives undefined where the
 * platform has no O_DIRECT or the file system refuses it (EINVAL):
 * the caller then uses its ordinary handle.
 */
export async function openDirect(path: string, mode: "read" | "write"): Promise<FileHandle | undefined> {
  if (O_DIRECT === 0) return undefined;
  try {
    return await open(path, (mode === "read" ? constants.O_RDONLY : constants.O_WRONLY) | O_DIRECT);
  } catch (e) {
    if (errno(e) === "EINVAL") return undefined;
    throw e;
  }
}

/**
 * `bytes` of zeroed memory at a page-aligned address, or undefined if the
 * engine will not give more WebAssembly memory (each reserves address space;
 * the caller falls back to buffered I/O).
 */
export function alignedBytes(bytes: number): Uint8Array | undefined {
  const memory = wasmMemory(bytes, false);
  return memory === undefined ? undefined : new Uint8Array(memory, 0, bytes);
}

/** As `alignedBytes`, in memory another thread can read (a SharedArrayBuffer of at least `bytes`). */
export function sharedAlignedBytes(bytes: number): SharedArrayBuffer | undefined {
  return wasmMemory(bytes, true) as SharedArrayBuffer | undefined;
}

function wasmMemory(bytes: number, shared: boolean): ArrayBuffer | SharedArrayBuffer | undefined {
  const pages = Math.max(1, Math.ceil(bytes / WASM_PAGE));
  try {
    return new Memory({ initial: pages, maximum: pages, shared }).buffer;
  } catch {
    return undefined;
  }
}

export function blockFloor(n: number): number {
  return n - (n % BLOCK);
}

export function blockCeil(n: number): number {
  return blockFloor(n + BLOCK - 1);
}

/** True for the error a direct read or write gives when the device wants a larger alignment than `BLOCK`. */
export function isAlignmentError(e: unknown): boolean {
  return errno(e) === "EINVAL";
}
