import { InterceptingCall, type Interceptor } from "@grpc/grpc-js";

/**
 * Bounds how many messages of a server-streaming call reach its readable
 * stream before the reader takes them. grpc-js reads one message per read
 * request and requests more while its stream buffers fewer than 16; this
 * interceptor holds a message back once `window` are out, so no further read
 * is requested, HTTP/2 stops granting the server window, and the server's
 * writes wait. `release()` is the reader taking one.
 */
export class ReadGate {
  private credits: number;
  private held: (() => void) | undefined;

  constructor(window: number) {
    this.credits = window;
  }

  readonly interceptor: Interceptor = (options, nextCall) =>
    new InterceptingCall(nextCall(options), {
      start: (metadata, _listener, next) => {
        next(metadata, {
          onReceiveMessage: (message: unknown, deliver: (message: unknown) => void) => {
            const pass = () => {
              this.credits--;
              deliver(message);
            };
            if (this.credits > 0) pass();
            else this.held = pass;
          },
        });
      },
    });

  release(): void {
    this.credits++;
    const held = this.held;
    this.held = undefined;
    held?.();
  }
}
