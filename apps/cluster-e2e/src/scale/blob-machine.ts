import type { Command, SnapshotFileStream, SnapshotMeta, StateMachine, StateMachineSnapshot } from "@raft/core/contracts";
import type { BlobCommand, BlobState } from "./protocol.js";

/** Bytes generated per snapshot chunk. */
const GENERATE_CHUNK = 1 << 20;
/** A restore checks one word in this many bytes against the generator (the store already verified the SHA-256). */
const CHECK_EVERY = 4096;

/** Word `k` (bytes 4k..4k+3, little-endian) of the state generated from `seed`: cheap, and different at every offset. */
export function blobWord(seed: number, k: number): number {
  return (Math.imul(k, 0x9e3779b1) ^ seed ^ (k >>> 11)) >>> 0;
}

/** Fills `chunk` with the state's bytes from `offset` (a multiple of 4) on; offsets past 4 GiB included. */
export function fillBlob(chunk: Uint8Array, seed: number, offset: number): void {
  const whole = chunk.length >>> 2;
  const words = new Uint32Array(chunk.buffer, chunk.byteOffset, whole);
  const k0 = Math.floor(offset / 4);
  for (let i = 0; i < whole; i++) words[i] = blobWord(seed, k0 + i);
  if (whole * 4 < chunk.length) {
    const last = blobWord(seed, k0 + whole);
    for (let b = whole * 4; b < chunk.length; b++) chunk[b] = (last >>> ((b - whole * 4) * 8)) & 0xff;
  }
}

interface Frozen {
  readonly bytes: number;
  readonly seed: number;
  readonly commands: number;
}

/**
 * A state machine whose state is `bytes` bytes generated deterministically
 * from a seed, never held in memory: a snapshot generates its `blob` file
 * chunk by chunk; a restore streams it and checks a word in every 4 KiB
 * against the generator (misplaced or foreign bytes fail the restore),
 * counting the bytes. A small `state.json` file carries size, seed and the
 * number of commands applied. Memory use is one chunk, whatever the size.
 */
export class BlobMachine implements StateMachine<number> {
  private bytes = 0;
  private seed = 0;
  private commands = 0;
  private blobSha256: string | undefined;
  private restoredFrom: string | undefined;
  private readonly decoder = new TextDecoder();
  /** `restore` checks each chunk (or copies it) before it pulls the next. */
  readonly reuseRestoreBuffers = true;

  apply(commands: readonly Command[]): number[] {
    return commands.map((c) => {
      const command = JSON.parse(this.decoder.decode(c.data)) as BlobCommand;
      if (command.op === "generate") {
        this.bytes = command.bytes;
        this.seed = command.seed;
      }
      return ++this.commands;
    });
  }

  snapshot(): StateMachineSnapshot {
    const view: Frozen = { bytes: this.bytes, seed: this.seed, commands: this.commands };
    return {
      files: [
        {
          name: "state.json",
          async *chunks() {
            yield new TextEncoder().encode(JSON.stringify(view));
          },
        },
        {
          name: "blob",
          async *chunks() {
            for (let offset = 0; offset < view.bytes; offset += GENERATE_CHUNK) {
              const chunk = new Uint8Array(Math.min(GENERATE_CHUNK, view.bytes - offset));
              fillBlob(chunk, view.seed, offset);
              yield chunk;
            }
          },
        },
      ],
    };
  }

  async restore(meta: SnapshotMeta, files: SnapshotFileStream): Promise<void> {
    let state: Frozen | undefined;
    let blobBytes = 0;
    for await (const file of files) {
      if (file.name === "state.json") {
        const parts: Uint8Array[] = [];
        for await (const chunk of file.chunks) parts.push(chunk.slice()); // copied: the chunk's buffer is reused (reuseRestoreBuffers)
        state = JSON.parse(Buffer.concat(parts).toString("utf8")) as Frozen;
      } else if (file.name === "blob") {
        if (state === undefined) throw new Error("snapshot: blob before state.json");
        const seed = state.seed;
        for await (const chunk of file.chunks) {
          checkChunk(chunk, seed, blobBytes);
          blobBytes += chunk.length;
        }
      } else {
        for await (const _ of file.chunks) {
          // not ours: skipped
        }
      }
    }
    if (state === undefined) throw new Error("snapshot without state.json");
    if (blobBytes !== state.bytes) throw new Error(`snapshot blob has ${blobBytes} bytes, state.json says ${state.bytes}`);
    this.bytes = state.bytes;
    this.seed = state.seed;
    this.commands = state.commands;
    this.blobSha256 = meta.files.find((f) => f.name === "blob")?.sha256;
    this.restoredFrom = meta.id;
  }

  /** A snapshot of this state was taken: its blob's checksum is what equal states hold. */
  taken(meta: SnapshotMeta): void {
    this.blobSha256 = meta.files.find((f) => f.name === "blob")?.sha256;
  }

  state(): BlobState {
    return { bytes: this.bytes, seed: this.seed, commands: this.commands, blobSha256: this.blobSha256, restoredFrom: this.restoredFrom };
  }
}

/** Checks the words at every CHECK_EVERY-aligned position of the blob inside `chunk` (which starts at `offset`). */
function checkChunk(chunk: Uint8Array, seed: number, offset: number): void {
  const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  const first = Math.ceil(offset / CHECK_EVERY) * CHECK_EVERY;
  for (let pos = first; pos + 4 <= offset + chunk.length; pos += CHECK_EVERY) {
    const got = view.getUint32(pos - offset, true);
    const want = blobWord(seed, Math.floor(pos / 4));
    if (got !== want) throw new Error(`snapshot blob: unexpected bytes at offset ${pos} (${got.toString(16)}, expected ${want.toString(16)})`);
  }
}
