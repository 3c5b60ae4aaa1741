import { CopyOnWrite, type FrozenRange } from "./copy-on-write.js";

/** An account and its balance in minor units. */
export interface BankAccount {
  readonly id: string;
  readonly balance: number;
}

/** The accounts as they were when frozen, readable by position while the table changes. */
export interface FrozenAccounts {
  readonly count: number;
  readonly total: number;
  idAt(position: number): string;
  balanceAt(position: number): number;
  release(): void;
}

/**
 * Accounts by position in opening order (accounts are never closed, so a
 * position never moves). Ids and balances sit in parallel arrays, which keeps
 * millions of accounts compact and lets a snapshot read a frozen prefix:
 * opens append past it, and overwritten balances are saved copy-on-write.
 * Storage only: the bank's rules live in `execute`.
 */
export class AccountTable {
  private readonly ids: string[] = [];
  private readonly balances: number[] = [];
  private readonly positions = new Map<string, number>();
  private readonly cow = new CopyOnWrite<number>();
  private sum = 0;

  get count(): number {
    return this.ids.length;
  }

  /** The sum of all balances. */
  get total(): number {
    return this.sum;
  }

  /** Frozen views still held (diagnostics and tests). */
  get frozenViews(): number {
    return this.cow.held;
  }

  positionOf(id: string): number | undefined {
    return this.positions.get(id);
  }

  balanceAt(position: number): number {
    return this.balances[position] as number;
  }

  /** Appends an account; the caller checked that `id` is new. */
  open(id: string, balance: number): void {
    this.positions.set(id, this.ids.length);
    this.ids.push(id);
    this.balances.push(balance + 0); // JSON's -0 becomes a plain 0, as it reads back from a snapshot
    this.sum += balance;
  }

  setBalanceAt(position: number, balance: number): void {
    const old = this.balances[position] as number;
    this.cow.beforeOverwrite(position, old);
    this.balances[position] = balance;
    this.sum += balance - old;
  }

  /** Live accounts from `offset` in opening order, `limit` at most. */
  *entries(offset = 0, limit = Infinity): Generator<BankAccount> {
    const end = Math.min(this.ids.length, offset + limit);
    for (let p = Math.max(0, offset); p < end; p++) yield { id: this.ids[p] as string, balance: this.balances[p] as number };
  }

  /** A frozen view of every account now; release it when read. */
  freeze(): FrozenAccounts {
    const range: FrozenRange<number> = this.cow.freeze(0, this.ids.length);
    const { ids, balances, cow } = this;
    return {
      count: range.end,
      total: this.sum,
      idAt: (p) => ids[p] as string,
      balanceAt: (p) => range.read(p, balances[p] as number),
      release: () => cow.release(range),
    };
  }
}
