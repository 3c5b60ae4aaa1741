import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { S3SnapshotStore, S3StoreError, s3SnapshotStoreConfigSchema } from "../src/index.js";
import { S3Server, bytes, codeOf, errorOf, freshPrefix, openStore, readAll, recordingLogger, take } from "./support.js";

let server: S3Server;
beforeAll(async () => {
  server = await S3Server.start();
});
afterAll(async () => {
  await server?.stop();
});

describe("configuration", () => {
  it("fills in defaults and normalises the prefix", () => {
    const c = s3SnapshotStoreConfigSchema.parse({ bucket: "my-bucket", prefix: "clusters/a" });
    expect(c).toMatchObject({ prefix: "clusters/a/", region: "us-east-1", forcePathStyle: false, partSize: 8 << 20, parallelism: 4, owner: "node", maxAttempts: 5 });
    expect(s3SnapshotStoreConfigSchema.parse({ bucket: "my-bucket" }).prefix).toBe("");
  });

  it("rejects bad config with InvalidConfig naming each field", async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ bucket: "" }, /bucket: must be an S3 bucket name/],
      [{ bucket: "Bad_Bucket" }, /bucket: must be an S3 bucket name/],
      [{ bucket: "ok-bucket", partSize: 1024 }, /partSize: .*5242880/],
      [{ bucket: "ok-bucket", parallelism: 0 }, /parallelism/],
      [{ bucket: "ok-bucket", prefix: "/abs" }, /prefix/],
      [{ bucket: "ok-bucket", prefix: "a/../b" }, /prefix/],
      [{ bucket: "ok-bucket", endpoint: "ftp://x" }, /endpoint: must be an http or https URL/],
      [{ bucket: "ok-bucket", forcePathStyle: "yes" }, /forcePathStyle/],
      [{ bucket: "ok-bucket", owner: "a b" }, /owner/],
      [{ bucket: "ok-bucket", bukket: "typo" }, /bukket/],
      [{ bucket: "ok-bucket", retryBaseMs: 500, retryMaxMs: 100 }, /retryMaxMs/],
    ];
    for (const [options, message] of cases) {
      const e = await errorOf(S3SnapshotStore.open(options as never));
      expect(e.code).toBe("InvalidConfig");
      expect(e.message).toMatch(/^invalid S3SnapshotStore config: /);
      expect(e.message).toMatch(message);
    }
    const both = await errorOf(S3SnapshotStore.open({ bucket: "", partSize: 1 } as never));
    expect(both.message).toMatch(/bucket: .*; partSize: /);
  });
});

describe("S3 failures, mapped at the edge", () => {
  it("a bucket that does not exist is NotFound", async () => {
    const e = await errorOf(S3SnapshotStore.open(server.options(freshPrefix(), { bucket: "no-such-bucket" })));
    expect(e).toBeInstanceOf(S3StoreError);
    expect([e.code, e.reason]).toEqual(["NotFound", "not-found"]);
    expect(e.message).toContain("NoSuchBucket");
    expect(e.message).toContain("s3://no-such-bucket/");
  });

  it("wrong credentials are an access-denied StorageFailure, not retried, and never logged", async () => {
    const logger = recordingLogger();
    const secret = "very-secret-key-123";
    const e = await errorOf(S3SnapshotStore.open(server.options(freshPrefix(), { credentials: { accessKeyId: "WRONGKEY", secretAccessKey: secret }, logger })));
    expect([e.code, e.reason, e.attempts]).toEqual(["StorageFailure", "access-denied", 1]);
    expect(JSON.stringify(logger.lines)).not.toContain(secret);
    expect(e.message).not.toContain(secret);
  });

  it("throttling is retried with backoff, then answers; past maxAttempts it is Busy", async () => {
    const logger = recordingLogger();
    const store = await openStore(server, freshPrefix(), { logger, maxAttempts: 4, retryBaseMs: 5 });
    const meta = await take(store, 1, { "state.bin": bytes(1000, 1) });
    await server.throttle(2);
    expect((await store.list()).map((m) => m.id)).toEqual([meta.id]);
    const retries = logger.lines.filter((l) => l.message.includes("retrying"));
    expect(retries.map((l) => [l.fields?.reason, l.fields?.code, l.fields?.attempt])).toEqual([
      ["throttled", "SlowDown", 1],
      ["throttled", "SlowDown", 2],
    ]);
    await server.throttle(10);
    const e = await errorOf(store.get("0000000000000009-1-0123456789abcdef"));
    expect([e.code, e.reason, e.attempts]).toEqual(["Busy", "throttled", 4]);
    expect(e.message).toContain("SlowDown");
    await server.throttle(0);
    expect(Buffer.from(await readAll(store, meta.id, "state.bin")).equals(Buffer.from(bytes(1000, 1)))).toBe(true);
    await store.close();
  });

  it("a stopped server is a network failure: retried with growing backoff, then Unavailable", async () => {
    const own = await S3Server.start();
    try {
      const logger = recordingLogger();
      const store = await openStore(own, freshPrefix(), { logger, maxAttempts: 5, retryBaseMs: 40, retryMaxMs: 1000 });
      const meta = await take(store, 1, { "state.bin": bytes(1000, 1) });
      await own.stop();
      const started = Date.now();
      const e = await errorOf(store.verify(meta.id));
      expect([e.code, e.reason, e.attempts]).toEqual(["Unavailable", "network", 5]);
      expect(e.message).toMatch(/ECONNREFUSED/);
      const retries = logger.lines.filter((l) => l.message.includes("retrying"));
      expect(retries.map((l) => [l.fields?.reason, l.fields?.attempt])).toEqual([1, 2, 3, 4].map((n) => ["network", n]));
      // Full jitter: each delay is drawn from [0, 40 × 2^(n-1)] ms.
      for (const l of retries) expect(l.fields?.delayMs).toBeLessThanOrEqual(40 * 2 ** ((l.fields?.attempt as number) - 1));
      const slept = retries.reduce((n, l) => n + (l.fields?.delayMs as number), 0);
      expect(Date.now() - started).toBeGreaterThanOrEqual(slept - 5);
      expect(await codeOf(take(store, 2, { "state.bin": bytes(10, 2) }))).toBe("Unavailable");
      await store.close();
    } finally {
      await own.stop();
    }
  });

  it("a closed store refuses work", async () => {
    const store = await openStore(server, freshPrefix());
    await store.close();
    await store.close();
    expect(await codeOf(store.list())).toBe("StorageFailure");
  });
});
