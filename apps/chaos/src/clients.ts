import type { BankInput, BankOutput, Operation } from "@raft/core/testing";
import { Prng } from "@raft/core/testing";
import type { ChaosCluster, Reply } from "./cluster.js";

export type BankOperation = Operation<BankInput, BankOutput>;

/** A transfer a writer sent: its request id, and the outcome and log index it was told (none if it never heard). */
export interface SentTransfer {
  requestId: string;
  client: string;
  from: string;
  to: string;
  amount: number;
  outcome?: "ok" | string;
  index?: number;
}

/** A write refused for a reason the bank model does not know, or another answer no client should get. */
export interface ClientSurprise {
  client: string;
  what: string;
}

/** One operation in progress: completed with an output, dropped (no effect), or left open (outcome unknown). */
class Pending {
  private readonly op: { client: string; input: BankInput; invokedAt: number; output?: BankOutput; completedAt?: number };
  constructor(
    private readonly history: History,
    client: string,
    input: BankInput,
  ) {
    this.op = { client, input, invokedAt: history.now() };
  }
  ok(output: BankOutput): void {
    this.history.operations.push({ ...this.op, output, completedAt: this.history.now() });
  }
  /** Definitely had no effect (a read that got no answer): left out. */
  fail(): void {}
  /** Outcome unknown: stays open. */
  info(): void {
    this.history.operations.push({ ...this.op });
  }
}

/** The history the clients record, times in ms since the run started. */
export class History {
  readonly operations: BankOperation[] = [];
  readonly transfers: SentTransfer[] = [];
  readonly surprises: ClientSurprise[] = [];
  /** Totals every balances read saw, with when: each must equal the money in the bank. */
  readonly totals: { at: number; total: number; client: string }[] = [];
  constructor(readonly t0: number) {}
  now(): number {
    return Math.round((performance.now() - this.t0) * 1000) / 1000;
  }
  invoke(client: string, input: BankInput): Pending {
    return new Pending(this, client, input);
  }
}

/**
 * A client of the cluster: sends each request to the node it believes
 * leads, follows `NotLeader` answers, and tries the other members when a
 * node does not answer.
 */
class Route {
  private target: number | undefined;
  constructor(
    private readonly cluster: ChaosCluster,
    private readonly members: () => readonly number[],
    private readonly prng: Prng,
  ) {}

  async send(method: string, path: string, body: unknown, timeoutMs: number): Promise<Reply | undefined> {
    const members = this.members();
    const node = this.target !== undefined && members.includes(this.target) ? this.target : members[this.prng.int(0, members.length)];
    if (node === undefined) return undefined;
    const reply = await this.cluster.request(node, method, path, body, timeoutMs);
    if (reply?.status === 421) {
      const hint = reply.body.leaderId;
      this.target = typeof hint === "number" && hint !== node ? hint : undefined;
    } else if (reply === undefined || reply.status >= 500) {
      this.target = undefined;
    } else {
      this.target = node;
    }
    return reply;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const refusals = new Set(["InsufficientFunds", "UnknownAccount"]);

export interface ClientsOptions {
  writers: number;
  balanceReaders: number;
  accountReaders: number;
  accounts: readonly string[];
  /** The money in the bank: every balances read must add up to it. */
  total: number;
  seed: number;
}

/**
 * The clients of a run: writers transferring money under fixed request ids,
 * retried until a definite answer; readers of all balances and of single
 * accounts (linearizable reads). `stop()` lets writers finish the transfer
 * in hand; `abandon()` leaves what is still unanswered open.
 */
export class Clients {
  private stopping = false;
  private abandoned = false;
  private readonly loops: Promise<void>[] = [];

  constructor(
    private readonly cluster: ChaosCluster,
    private readonly members: () => readonly number[],
    readonly history: History,
    private readonly o: ClientsOptions,
  ) {}

  start(): void {
    for (let i = 0; i < this.o.writers; i++) this.loops.push(this.writer(`w${i + 1}`, new Prng(this.o.seed * 31 + i)));
    for (let i = 0; i < this.o.balanceReaders; i++) this.loops.push(this.reader(`r${i + 1}`, new Prng(this.o.seed * 37 + i), false));
    for (let i = 0; i < this.o.accountReaders; i++) this.loops.push(this.reader(`a${i + 1}`, new Prng(this.o.seed * 41 + i), true));
  }

  /** No new operations; resolves once every writer has a definite answer for the transfer in hand (or `abandon()`). */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.loops);
  }

  abandon(): void {
    this.abandoned = true;
  }

  private async writer(client: string, prng: Prng): Promise<void> {
    const route = new Route(this.cluster, this.members, prng);
    for (let seq = 1; !this.stopping; seq++) {
      const accounts = this.o.accounts;
      const from = accounts[prng.int(0, accounts.length)] as string;
      let to = accounts[prng.int(0, accounts.length - 1)] as string;
      if (to === from) to = accounts[accounts.length - 1] as string;
      const amount = prng.int(1, 400);
      const sent: SentTransfer = { requestId: `${client}-${seq}`, client, from, to, amount };
      this.history.transfers.push(sent);
      await this.transfer(route, sent, prng);
      await sleep(prng.int(5, 40));
    }
  }

  /** One transfer, retried under its request id until the cluster answers it definitely. */
  async transfer(route: Route, sent: SentTransfer, prng: Prng): Promise<void> {
    const op = this.history.invoke(sent.client, { type: "transfer", from: sent.from, to: sent.to, amount: sent.amount });
    const body = { requestId: sent.requestId, from: sent.from, to: sent.to, amount: sent.amount };
    for (;;) {
      if (this.abandoned) return op.info();
      const reply = await route.send("POST", "/transfers", body, 3_000);
      const error = reply?.body.error;
      if (reply?.status === 200) {
        sent.outcome = "ok";
        sent.index = reply.body.index as number;
        return op.ok({ ok: true });
      }
      if (reply?.status === 422 && typeof error === "string" && refusals.has(error)) {
        sent.outcome = error;
        sent.index = reply.body.index as number;
        return op.ok({ ok: false, error: error as "InsufficientFunds" | "UnknownAccount" });
      }
      if (reply !== undefined && reply.status !== 421 && reply.status !== 503 && reply.status !== 500) {
        // RequestIdReused, a 400, or anything else: the cluster said something no client of a correct bank hears.
        this.history.surprises.push({ client: sent.client, what: `${sent.requestId}: ${reply.status} ${JSON.stringify(reply.body)}` });
        return op.info();
      }
      await sleep(reply?.status === 421 && reply.body.leaderId !== null ? 0 : prng.int(20, 120));
    }
  }

  private async reader(client: string, prng: Prng, single: boolean): Promise<void> {
    const route = new Route(this.cluster, this.members, prng);
    while (!this.stopping) {
      const id = this.o.accounts[prng.int(0, this.o.accounts.length)] as string;
      const op = this.history.invoke(client, single ? { type: "balance", id } : { type: "balances" });
      const reply = await route.send("GET", single ? `/accounts/${id}` : "/accounts", undefined, 3_000);
      if (reply?.status === 200 && single) op.ok({ ok: true, balance: reply.body.balance as number });
      else if (reply?.status === 200) {
        const accounts = reply.body.accounts as Record<string, number>;
        op.ok({ ok: true, accounts });
        const total = Object.values(accounts).reduce((sum, b) => sum + b, 0);
        this.history.totals.push({ at: this.history.now(), total, client });
      } else if (reply?.status === 404 && single) op.ok({ ok: false, error: "UnknownAccount" });
      else op.fail();
      await sleep(reply?.status === 200 ? prng.int(20, 120) : prng.int(20, 80));
    }
  }
}

export { Route };
