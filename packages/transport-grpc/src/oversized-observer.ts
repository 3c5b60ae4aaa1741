import { ServerInterceptingCall, status, type ServerInterceptor } from "@grpc/grpc-js";
import { META } from "./handshake.js";

/**
 * grpc-js refuses a message over `grpc.max_receive_message_length` as soon as
 * it reads its length prefix (nothing is buffered), and ends the call with
 * RESOURCE_EXHAUSTED from inside its base call — past every handler. Wrapping
 * that call's `sendStatus` is the one place such a rejection can be seen, so
 * it is counted and logged like every other. Statuses this package sends
 * itself carry `raft-error-code` and are left alone.
 */
export function observeOversizedFrames(onOversized: (path: string, remote: string, details: string) => void): ServerInterceptor {
  return (method, call) => {
    const send = call.sendStatus.bind(call);
    // grpc-js may try to end the call again as more of the message arrives: count it once.
    let seen = false;
    call.sendStatus = (s) => {
      const ours = (s.metadata?.get(META.errorCode).length ?? 0) > 0;
      if (!seen && s.code === status.RESOURCE_EXHAUSTED && !ours && /received message/i.test(s.details ?? "")) {
        seen = true;
        onOversized(method.path, call.getPeer(), s.details ?? "");
      }
      send(s);
    };
    return new ServerInterceptingCall(call);
  };
}
