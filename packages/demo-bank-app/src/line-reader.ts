import { RaftError } from "@raft/core/contracts";

/**
 * Splits a file's chunks into text lines, a batch per chunk, holding one chunk
 * and one partial line at a time. Invalid UTF-8, a line longer than
 * `maxLineLength`, or a last line without its "\n" (a truncated file) fail with
 * `RaftError("Corrupt")`.
 */
export async function* readLines(file: string, chunks: AsyncIterable<Uint8Array>, maxLineLength: number): AsyncGenerator<string[]> {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  const decode = (chunk: Uint8Array, stream: boolean): string => {
    try {
      return decoder.decode(chunk, { stream });
    } catch (e) {
      throw new RaftError("Corrupt", `bank snapshot file ${file}: invalid UTF-8`, { cause: e });
    }
  };
  let partial = "";
  for await (const chunk of chunks) {
    const lines = (partial + decode(chunk, true)).split("\n");
    partial = lines.pop() as string;
    // Complete lines are bounded by the chunk; only a line that never ends could grow without bound.
    if (partial.length > maxLineLength) throw corrupt(file, `a line is longer than ${maxLineLength} characters`);
    if (lines.length > 0) yield lines;
  }
  partial += decode(new Uint8Array(0), false);
  if (partial.length > 0) throw corrupt(file, "the file ends inside a line (truncated?)");
}

export function corrupt(file: string, why: string): RaftError {
  return new RaftError("Corrupt", `bank snapshot file ${file}: ${why}`);
}
