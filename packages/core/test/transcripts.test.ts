import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseTranscript, rewriteTranscript } from "./support/datadriven.js";
import { Interaction } from "./support/interaction.js";

// Scenario transcripts: each file in testdata/ is one behaviour, replayed
// command by command. UPDATE=1 rewrites the expected outputs; review the diff.
const dir = join(import.meta.dirname, "..", "testdata");

describe("scenario transcripts", () => {
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".txt"))) {
    it(file, () => {
      const path = join(dir, file);
      const { blocks } = parseTranscript(readFileSync(path, "utf8"));
      const interaction = new Interaction();
      const actual = blocks.map((b) => interaction.run(b.command));
      if (process.env.UPDATE === "1") {
        rewriteTranscript(path, blocks, actual);
        return;
      }
      blocks.forEach((b, i) => {
        expect(actual[i], `${file}:${b.line}: ${b.command}`).toBe(b.expected);
      });
    });
  }
});
