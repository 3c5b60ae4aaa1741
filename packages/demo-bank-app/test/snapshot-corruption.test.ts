import { describe, expect, it } from "vitest";
import { ACCOUNTS_FILE, BankStateMachine, HEADER_FILE, REQUESTS_FILE } from "../src/index.js";
import { bytes, deposit, Feeder, fingerprint, metaAt, open, readAll, streamOf, transfer, type ReadFile } from "./support/bank.js";
import { Index } from "@raft/core/contracts";

async function sample() {
  const sm = new BankStateMachine({ dedupCapacity: 8, snapshotChunkBytes: 64 });
  const feed = new Feeder(sm);
  feed.apply(...Array.from({ length: 12 }, (_, i) => open(`o${i}`, `acct-${i}`, 100 * i)));
  feed.apply(transfer("t1", "acct-3", "acct-4", 50), deposit("é-d", "acct-0", 7));
  return { sm, files: await readAll(sm.snapshot()) };
}

const text = (s: string): ReadFile["chunks"] => [bytes(s)];

/** The files with `name`'s content replaced. */
function withFile(files: readonly ReadFile[], name: string, content: string): ReadFile[] {
  return files.map((f) => (f.name === name ? { name, chunks: text(content) } : f));
}

function whole(files: readonly ReadFile[], name: string): Uint8Array {
  return Buffer.concat(files.find((f) => f.name === name)?.chunks ?? []);
}

async function restoreInto(files: readonly ReadFile[], index = 14) {
  const sm = new BankStateMachine({ dedupCapacity: 8 });
  new Feeder(sm).one(open("before", "keep-me", 1));
  const before = fingerprint(sm);
  const outcome = await sm.restore(metaAt(Index.of(index)), streamOf(files)).then(
    () => undefined,
    (e: unknown) => e,
  );
  return { outcome, unchanged: fingerprint(sm) === before };
}

async function expectCorrupt(files: readonly ReadFile[], index?: number) {
  const { outcome, unchanged } = await restoreInto(files, index);
  expect(outcome).toMatchObject({ name: "RaftError", code: "Corrupt" });
  expect(unchanged).toBe(true); // a failed restore leaves the old state in place
}

describe("a corrupt or truncated snapshot stream fails with Corrupt", () => {
  it("for a cut at every byte of every file", async () => {
    const { files } = await sample();
    for (const f of files) {
      const full = whole(files, f.name);
      for (let cut = 0; cut < full.length; cut++) {
        const { outcome } = await restoreInto(files.map((g) => (g.name === f.name ? { name: g.name, chunks: [full.subarray(0, cut)] } : g)));
        expect(outcome, `${f.name} cut at ${cut}/${full.length}`).toMatchObject({ code: "Corrupt" });
      }
    }
  });

  it("for a missing, extra or misplaced file", async () => {
    const { files } = await sample();
    const [header, accounts, requests] = files as [ReadFile, ReadFile, ReadFile];
    await expectCorrupt([header, accounts]);
    await expectCorrupt([]);
    await expectCorrupt([header, requests, accounts]);
    await expectCorrupt([...files, { name: "extra.bin", chunks: [] }]);
  });

  it("for a changed balance, account or count", async () => {
    const { files } = await sample();
    const accounts = new TextDecoder().decode(whole(files, ACCOUNTS_FILE));
    await expectCorrupt(withFile(files, ACCOUNTS_FILE, accounts.replace('["acct-5",500]', '["acct-5",501]'))); // total no longer matches
    await expectCorrupt(withFile(files, ACCOUNTS_FILE, accounts.replace('["acct-5",500]', '["acct-4",500]'))); // an id twice
    await expectCorrupt(withFile(files, ACCOUNTS_FILE, accounts.replace('["acct-5",500]', '["acct 5",500]'))); // not an account id
    await expectCorrupt(withFile(files, ACCOUNTS_FILE, accounts.replace('["acct-5",500]', '["acct-5",0500]'))); // not canonical
    await expectCorrupt(withFile(files, ACCOUNTS_FILE, accounts.replace('["acct-5",500]\n', ""))); // one account fewer
    await expectCorrupt(withFile(files, ACCOUNTS_FILE, `${accounts}["acct-99",0]\n`)); // one account more
    await expectCorrupt(withFile(files, ACCOUNTS_FILE, accounts.replace("\n", "\n\n"))); // an empty line
  });

  it("for a balance or total past MAX_SAFE_INTEGER", async () => {
    const { files } = await sample();
    const header = JSON.parse(new TextDecoder().decode(whole(files, HEADER_FILE))) as Record<string, unknown>;
    const big = Number.MAX_SAFE_INTEGER;
    const two = { ...header, accounts: 2, total: big, requests: 0 };
    await expectCorrupt(withFile(withFile(withFile(files, HEADER_FILE, `${JSON.stringify(two)}\n`), ACCOUNTS_FILE, `["a",${big}]\n["b",1]\n`), REQUESTS_FILE, ""));
    await expectCorrupt(withFile(withFile(withFile(files, HEADER_FILE, `${JSON.stringify({ ...two, accounts: 1 })}\n`), ACCOUNTS_FILE, `["a",9007199254740993]\n`), REQUESTS_FILE, ""));
  });

  it("for a bad header", async () => {
    const { files } = await sample();
    const header = JSON.parse(new TextDecoder().decode(whole(files, HEADER_FILE))) as Record<string, unknown>;
    const headerFile = (h: unknown) => withFile(files, HEADER_FILE, `${JSON.stringify(h)}\n`);
    await expectCorrupt(headerFile({ ...header, format: "raft-bank-snapshot/2" }));
    await expectCorrupt(headerFile({ ...header, total: -1 }));
    await expectCorrupt(headerFile({ ...header, extra: 1 }));
    await expectCorrupt(headerFile({ ...header, requests: 9 })); // more than the capacity
    await expectCorrupt(withFile(files, HEADER_FILE, `${JSON.stringify(header)}\n${JSON.stringify(header)}\n`));
    await expectCorrupt(withFile(files, HEADER_FILE, "{not json\n"));
    await expectCorrupt(withFile(files, HEADER_FILE, `${JSON.stringify(header, null, 1).replace(/\n/g, "")}\n`)); // same values, not canonical
    await expectCorrupt(files, 13); // the state claims commands past the snapshot's index
  });

  it("for bad request lines", async () => {
    const { files } = await sample();
    const lines = new TextDecoder().decode(whole(files, REQUESTS_FILE)).split("\n").slice(0, -1);
    const requests = (ls: string[]) => withFile(files, REQUESTS_FILE, ls.map((l) => `${l}\n`).join(""));
    const swapped = [...lines];
    [swapped[0], swapped[1]] = [swapped[1] as string, swapped[0] as string];
    await expectCorrupt(requests(swapped)); // indices out of order
    await expectCorrupt(requests([lines[0] as string, ...lines.slice(0, -1)])); // an id twice
    await expectCorrupt(requests(lines.map((l, i) => (i === 3 ? l.replace('"ok"', '"Maybe"') : l))));
    await expectCorrupt(requests(lines.map((l, i) => (i === 3 ? "[]" : l))));
    await expectCorrupt(requests(lines.map((l, i) => (i === 3 ? `${l} ${" ".repeat(2000)}` : l))));
  });

  it("for invalid UTF-8, a line that never ends, or a file cut inside a character", async () => {
    const { files } = await sample();
    const requests = whole(files, REQUESTS_FILE);
    const broken = Uint8Array.from(requests);
    broken[broken.indexOf(0xc3)] = 0xff; // the é of "é-d"
    await expectCorrupt(files.map((f) => (f.name === REQUESTS_FILE ? { name: f.name, chunks: [broken] } : f)));
    await expectCorrupt(withFile(files, ACCOUNTS_FILE, "x".repeat(100_000)));
    const cut = requests.indexOf(0xc3) + 1;
    await expectCorrupt(files.map((f) => (f.name === REQUESTS_FILE ? { name: f.name, chunks: [requests.subarray(0, cut)] } : f)));
  });

  it("while the untouched snapshot restores", async () => {
    const { sm, files } = await sample();
    const { outcome } = await restoreInto(files);
    expect(outcome).toBeUndefined();
    const copy = new BankStateMachine({ dedupCapacity: 8 });
    await copy.restore(metaAt(Index.of(14)), streamOf(files));
    expect(fingerprint(copy)).toBe(fingerprint(sm));
  });
});
