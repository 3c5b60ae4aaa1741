import type { BankCommand } from "./command-schema.js";

/**
 * A 32-bit FNV-1a digest of what a command does (everything but its request
 * id). The de-duplication table keeps it to tell a retry (same digest) from a
 * request id reused for another command. Deterministic, and independent of
 * how the command's JSON was written (key order, spacing).
 */
export function commandDigest(command: BankCommand): number {
  let fields: string;
  switch (command.type) {
    case "open":
      fields = `open\n${command.id}\n${command.balance}`;
      break;
    case "deposit":
    case "withdraw":
      fields = `${command.type}\n${command.id}\n${command.amount}`;
      break;
    case "transfer":
      fields = `transfer\n${command.from}\n${command.to}\n${command.amount}`;
      break;
  }
  let h = 0x811c9dc5;
  for (let i = 0; i < fields.length; i++) {
    h ^= fields.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
