// The bank's half of the load: transfers of 1 minor unit back and forth between
// pairs of accounts, each with a fresh requestId (exactly-once dedup is keyed
// on it), sent to the node the client last heard was the leader.
import type { Attempt, LoadClient, Verdict } from "./load-generator.js";
import { sleep } from "./processes.js";

const accountCount = 8;
/** Large enough that back-and-forth transfers can never run an account dry. */
const openingBalance = 1_000_000_000;

/** Opens the accounts the transfers move money between (on the leader, found by following 421s). */
export async function openAccounts(urls: readonly string[]): Promise<string[]> {
  const ids = Array.from({ length: accountCount }, (_, i) => `bench-${i}`);
  let target = urls[0] as string;
  for (const id of ids) {
    for (let attempt = 0; ; attempt++) {
      const res = await fetch(`${target}/accounts`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ id, balance: openingBalance, requestId: `open-${id}` }),
        signal: AbortSignal.timeout(5_000),
      });
      const body = (await res.json()) as { leaderUrl?: string | null; error?: string };
      if (res.status === 201 || (res.status === 409 && body.error === "AccountExists")) break;
      if (attempt === 20) throw new Error(`opening account ${id}: HTTP ${res.status} ${JSON.stringify(body)}`);
      if (res.status === 421 && typeof body.leaderUrl === "string") target = body.leaderUrl;
      else await sleep(200);
    }
  }
  return ids;
}

export class BankClient implements LoadClient {
  private target: URL;
  private seq = 0;
  private readonly from: string;
  private readonly to: string;

  /** Client `i` starts at node i mod 3 and runs requestIds `<tag>-<i>-<n>`. */
  constructor(
    private readonly i: number,
    urls: readonly string[],
    accounts: readonly string[],
    private readonly tag: string,
  ) {
    this.target = new URL("/transfers", urls[i % urls.length]);
    this.from = accounts[i % accounts.length] as string;
    this.to = accounts[(i + 1) % accounts.length] as string;
  }

  next(): Attempt {
    const n = this.seq++;
    const [from, to] = n % 2 === 0 ? [this.from, this.to] : [this.to, this.from];
    return { url: this.target, body: JSON.stringify({ requestId: `${this.tag}-${this.i}-${n}`, from, to, amount: 1 }) };
  }

  judge(status: number, body: string): Verdict {
    if (status >= 200 && status < 300) return { kind: "write" };
    const answer = parse(body);
    if (status === 421 && typeof answer.leaderUrl === "string") {
      // Remembered: every later write goes straight to the leader.
      this.target = new URL("/transfers", answer.leaderUrl);
      return { kind: "redirect", url: this.target };
    }
    return { kind: "error", reason: `${status} ${answer.error ?? ""}`.trim() };
  }
}

function parse(body: string): { leaderUrl?: unknown; error?: string } {
  try {
    return JSON.parse(body) as { leaderUrl?: unknown; error?: string };
  } catch {
    return {};
  }
}
