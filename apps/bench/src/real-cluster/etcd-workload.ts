// etcd's half of the load: puts of 256 random bytes through the v3 JSON gateway
// (grpc-gateway, so keys and values travel base64-encoded). Any member takes a
// put and forwards it to the leader itself, so clients stay where they start.
import { randomBytes } from "node:crypto";
import type { Attempt, LoadClient, Verdict } from "./load-generator.js";

/** Pre-drawn values: drawing 256 random bytes per write would load the client, not etcd. */
const values = Array.from({ length: 64 }, () => randomBytes(256).toString("base64"));
/** Each client cycles over its own few keys, so the key space stays small as in the bank (8 accounts). */
const keysPerClient = 16;

const b64 = (s: string) => Buffer.from(s).toString("base64");

export class EtcdClient implements LoadClient {
  private readonly url: URL;
  private seq = 0;
  private readonly keys: string[];

  /** Client `i` talks to member i mod 3. */
  constructor(i: number, urls: readonly string[]) {
    this.url = new URL("/v3/kv/put", urls[i % urls.length]);
    this.keys = Array.from({ length: keysPerClient }, (_, k) => b64(`bench/${i}/${k}`));
  }

  next(): Attempt {
    const n = this.seq++;
    return { url: this.url, body: JSON.stringify({ key: this.keys[n % keysPerClient], value: values[n % values.length] }) };
  }

  judge(status: number, body: string): Verdict {
    if (status >= 200 && status < 300) return { kind: "write" };
    let reason = "";
    try {
      reason = String((JSON.parse(body) as { error?: unknown }).error ?? "");
    } catch {
      // not JSON
    }
    return { kind: "error", reason: `${status} ${reason}`.trim() };
  }
}
