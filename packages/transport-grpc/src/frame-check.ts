import { decodeMessages, type Message, type NodeId } from "@raft/core/contracts";
import type { Decoded } from "./service-definition.js";
import type { RejectionReason } from "./rejections.js";

export type FrameVerdict = { readonly ok: true; readonly messages: Message[] } | { readonly ok: false; readonly reason: RejectionReason; readonly detail: string };

/**
 * Decodes and validates one frame from an authenticated caller. The frame is
 * taken whole or not at all: every message must decode (`decodeMessages`
 * checks versions, types, lengths and ranges), come from the caller, and be
 * addressed to this node.
 */
export function checkFrame(frame: Decoded<Uint8Array>, caller: NodeId, self: NodeId): FrameVerdict {
  if (!frame.ok) return { ok: false, reason: "malformed frame", detail: frame.reason };
  let messages: Message[];
  try {
    messages = decodeMessages(frame.value);
  } catch (e) {
    return { ok: false, reason: "invalid messages", detail: e instanceof Error ? e.message.slice(0, 300) : String(e) };
  }
  for (const m of messages) {
    if (m.from !== caller) return { ok: false, reason: "wrong sender", detail: `a ${m.type} from node ${m.from} on node ${caller}'s stream` };
    if (m.to !== self) return { ok: false, reason: "wrong recipient", detail: `a ${m.type} for node ${m.to} sent to node ${self}` };
  }
  return { ok: true, messages };
}
