import { type sendUnaryData, type ServerReadableStream } from "@grpc/grpc-js";
import { checkCaller, serverMetadata } from "./handshake.js";
import { checkFrame } from "./frame-check.js";
import type { Decoded, MessagesSummary } from "./service-definition.js";
import type { ServerContext } from "./server-context.js";

/**
 * The server side of `Messages`: checks the caller once (metadata, TLS),
 * answers with this node's identity, then checks every frame on its own
 * before its messages reach the node. A bad frame is dropped, counted and
 * logged; the stream stays open for the good ones.
 */
export function messagesHandler(ctx: ServerContext) {
  return (call: ServerReadableStream<Decoded<Uint8Array>, MessagesSummary>, callback: sendUnaryData<MessagesSummary>): void => {
    const verdict = checkCaller(call.metadata, call.getAuthContext(), ctx.policy);
    if (!verdict.ok) {
      ctx.stats.rejectedCalls++;
      ctx.reject(verdict.reason, { caller: verdict.caller, remote: call.getPeer(), call: "Messages" });
      callback({ code: verdict.code, details: verdict.details });
      return;
    }
    const caller = verdict.caller;
    if (verdict.address !== undefined) ctx.learn(caller, verdict.address);
    ctx.heard(caller);
    call.sendMetadata(serverMetadata(ctx.clusterId, ctx.self));
    const summary = { acceptedFrames: 0, rejectedFrames: 0 };
    call.on("data", (frame: Decoded<Uint8Array>) => {
      const checked = checkFrame(frame, caller, ctx.self);
      if (!checked.ok) {
        summary.rejectedFrames++;
        ctx.stats.rejectedFrames++;
        ctx.reject(checked.reason, { caller, remote: call.getPeer(), detail: checked.detail });
        return;
      }
      summary.acceptedFrames++;
      ctx.stats.framesReceived++;
      ctx.heard(caller);
      ctx.deliver(checked.messages);
    });
    call.on("end", () => callback(null, summary));
    call.on("error", () => {});
  };
}
