import { connect, createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { TcpProxy } from "../../src/testing/index.js";

const open: { close(): unknown }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((o) => o.close()));
});

/** A server on 127.0.0.1 that keeps what it receives per connection and runs `onSocket` on each. */
async function target(onSocket: (s: Socket) => void = () => {}): Promise<{ address: string; received: string[]; sockets: Socket[]; server: Server }> {
  const received: string[] = [];
  const sockets: Socket[] = [];
  const server = createServer((s) => {
    const i = received.push("") - 1;
    sockets.push(s);
    s.on("data", (d: Buffer) => (received[i] += d.toString()));
    s.on("error", () => {});
    onSocket(s);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  open.push({ close: () => new Promise<void>((r) => (server.close(() => r()), sockets.forEach((s) => s.destroy()))) });
  return { address: `127.0.0.1:${(server.address() as { port: number }).port}`, received, sockets, server };
}

const echo = (s: Socket) => s.pipe(s);

async function proxyTo(address: string): Promise<TcpProxy> {
  const p = await TcpProxy.listen(address);
  open.push(p);
  return p;
}

/** A client connection to `address` that records what it receives and how it ended ("reset" for ECONNRESET, or another error's code). Resolves once connected, or once it failed. */
async function client(address: string): Promise<{ s: Socket; data: () => string; ended: Promise<string> }> {
  const [host, port] = [address.slice(0, address.lastIndexOf(":")), Number(address.slice(address.lastIndexOf(":") + 1))];
  const s = connect(port, host);
  let data = "";
  s.on("data", (d: Buffer) => (data += d.toString()));
  const ended = new Promise<string>((resolve) => {
    s.on("error", (e: Error & { code?: string }) => resolve(e.code === "ECONNRESET" ? "reset" : (e.code ?? e.message)));
    s.on("end", () => resolve("end"));
    s.on("close", () => resolve("close"));
  });
  open.push({ close: () => s.destroy() });
  await Promise.race([new Promise((resolve) => s.once("connect", resolve)), ended]);
  return { s, data: () => data, ended };
}

async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("TcpProxy", () => {
  it("relays both ways, passes on a half-close, and counts bytes and connections", async () => {
    const t = await target(echo);
    const proxy = await proxyTo(t.address);
    expect(proxy.address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(proxy.port).toBe(Number(proxy.address.split(":")[1]));
    expect(proxy.target).toBe(t.address);
    const c = await client(proxy.address);
    c.s.write("hello ");
    c.s.write("world");
    await until(() => c.data() === "hello world", "the echo");
    c.s.end(); // the echo server ends its side in turn
    expect(await c.ended).toBe("end");
    expect(t.received).toEqual(["hello world"]);
    const stats = proxy.stats();
    expect(stats).toMatchObject({ accepted: 1, refused: 0, bytes: { clientToServer: 11, serverToClient: 11 }, dropped: { clientToServer: 0, serverToClient: 0 } });
    await until(() => proxy.stats().open === 0, "the pair to close");
  });

  it("cut() resets open connections and new ones until restore()", async () => {
    const t = await target(echo);
    const proxy = await proxyTo(t.address);
    const before = await client(proxy.address);
    before.s.write("ping");
    await until(() => before.data() === "ping", "the echo");

    proxy.cut();
    expect(await before.ended).toBe("reset");
    await until(() => t.sockets.every((s) => s.destroyed), "the target's side to be closed too");

    // New connections are accepted and reset at once: nothing reaches the target.
    const during = await client(proxy.address);
    during.s.write("lost");
    expect(await during.ended).toBe("reset");
    expect(proxy.stats()).toMatchObject({ accepted: 2, refused: 1, open: 0 });
    expect(t.received).toEqual(["ping"]);

    proxy.restore();
    const after = await client(proxy.address);
    after.s.write("again");
    await until(() => after.data() === "again", "the echo after the restore");
    expect(t.received).toEqual(["ping", "again"]);
    expect(proxy.stats()).toMatchObject({ accepted: 3, refused: 1, open: 1 });
  });

  it("blackhole() keeps the connection but swallows one direction, or both", async () => {
    const t = await target(echo);
    const proxy = await proxyTo(t.address);
    const c = await client(proxy.address);

    proxy.blackhole("client-to-server");
    c.s.write("dropped");
    await sleep(50);
    expect(t.received).toEqual([""]);
    expect(proxy.stats().dropped).toEqual({ clientToServer: 7, serverToClient: 0 });

    proxy.blackhole("server-to-client");
    c.s.write("one-way");
    await until(() => t.received[0] === "one-way", "the client's bytes to reach the server");
    await until(() => proxy.stats().dropped.serverToClient === 7, "the echo to be swallowed");
    expect(c.data()).toBe("");

    proxy.blackhole(); // both
    c.s.write("nothing");
    await sleep(50);
    expect(t.received[0]).toBe("one-way");
    expect(proxy.stats().dropped).toEqual({ clientToServer: 14, serverToClient: 7 });

    // New connections are accepted too, and swallowed the same way.
    const late = await client(proxy.address);
    late.s.write("x");
    await until(() => proxy.stats().dropped.clientToServer === 15, "the new connection's bytes to be swallowed");

    proxy.restore();
    c.s.write("back");
    await until(() => c.data() === "back", "the echo after the restore");
    expect(proxy.stats().open).toBe(2);
    expect(() => proxy.blackhole("sideways" as never)).toThrow(TypeError);
  });

  it("delay() holds each chunk back, each way, in order", async () => {
    const t = await target(echo);
    const proxy = await proxyTo(t.address);
    const c = await client(proxy.address);
    proxy.delay(80);
    const start = performance.now();
    for (const part of ["a", "b", "c", "d"]) c.s.write(part);
    await until(() => c.data() === "abcd", "the delayed echo");
    const elapsed = performance.now() - start;
    expect(elapsed).toBeGreaterThanOrEqual(150); // 80 ms there, 80 ms back
    // Lowering the delay never lets later bytes overtake earlier ones.
    proxy.delay(200);
    c.s.write("1");
    proxy.delay(0);
    c.s.write("2");
    await until(() => c.data() === "abcd12", "the echo, in order");
    expect(() => proxy.delay(-1)).toThrow(RangeError);
  });

  it("resets the client when the target refuses, and close() ends everything", async () => {
    const t = await target();
    const proxy = await proxyTo(t.address);
    const c = await client(proxy.address);
    c.s.write("x");
    await until(() => t.received[0] === "x", "the first connection");

    const gone = await target();
    const port = Number(gone.address.split(":")[1]);
    await new Promise<void>((r) => gone.server.close(() => r()));
    const toNowhere = await proxyTo(`127.0.0.1:${port}`);
    const refused = await client(toNowhere.address);
    expect(await refused.ended).toBe("reset");

    await proxy.close();
    await proxy.close();
    expect(["end", "close"]).toContain(await c.ended);
    expect(await (await client(proxy.address)).ended).toBe("ECONNREFUSED");
    await expect(TcpProxy.listen("nowhere")).rejects.toThrow(TypeError);
  });
});
