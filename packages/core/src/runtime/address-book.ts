import type { AddressBook } from "../contracts/index.js";
import { NodeId, type Membership } from "../engine/index.js";

/** The peer addresses a membership carries, for `Transport.updatePeers` (entries whose key is no node id are left out). */
export function addressBook(membership: Membership): AddressBook {
  const book = new Map<NodeId, string>();
  for (const [key, address] of Object.entries(membership.addresses ?? {})) {
    const id = Number(key);
    if (NodeId.is(id)) book.set(id, address);
  }
  return book;
}
