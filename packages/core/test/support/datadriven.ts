import { readFileSync, writeFileSync } from "node:fs";

/** One `command` / `----` / expected-output block of a transcript. */
export interface Block {
  readonly command: string;
  readonly expected: string;
  readonly line: number;
}

/**
 * Reads a transcript: blocks of a command line, `----`, and the expected
 * output up to a blank line. Lines starting with `#` outside blocks are comments.
 */
export function parseTranscript(text: string): { blocks: Block[]; lines: string[] } {
  const lines = text.split("\n");
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i] as string;
    if (l.trim() === "" || l.startsWith("#")) continue;
    if (lines[i + 1] !== "----") throw new Error(`line ${i + 1}: expected ---- after "${l}"`);
    let j = i + 2;
    const out: string[] = [];
    while (j < lines.length && (lines[j] as string) !== "") out.push(lines[j++] as string);
    blocks.push({ command: l, expected: out.join("\n"), line: i + 1 });
    i = j;
  }
  return { blocks, lines };
}

/** Rewrites a transcript with actual outputs (run with UPDATE=1), keeping comments. */
export function rewriteTranscript(path: string, blocks: readonly Block[], actual: readonly string[]): void {
  const text = readFileSync(path, "utf8");
  const lines = text.split("\n");
  const out: string[] = [];
  let b = 0;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i] as string;
    const block = blocks[b];
    if (block !== undefined && i + 1 === block.line) {
      out.push(l, "----", ...(actual[b] === "" ? [] : (actual[b] as string).split("\n")), "");
      i += 1;
      while (i + 1 < lines.length && lines[i + 1] !== "") i++;
      i++;
      b++;
      continue;
    }
    out.push(l);
  }
  writeFileSync(path, out.join("\n").replace(/\n{3,}/g, "\n\n"));
}
