// Closed-loop bank writers in a process of their own (see write-load.ts), so
// that the test can give them a lower CPU priority than the leader's.
// Usage: node write-load-child.mjs URL CLIENTS ACCOUNT,ACCOUNT,... [REQUEST_ID_LENGTH]
// Answers its parent over IPC: { op: "stats" | "latency" (from, to: epoch ms) | "stop" }.
import { Agent, request } from "node:http";
import { performance } from "node:perf_hooks";

const [url, clientsArg, accountsArg, requestIdLength] = process.argv.slice(2);
const clients = Number(clientsArg);
const accounts = (accountsArg ?? "").split(",");
/** Request ids are padded to this length (the bank takes up to 128), which makes the log entries bigger. */
const idLength = Number(requestIdLength ?? 0);
const agent = new Agent({ keepAlive: true, maxSockets: clients, maxFreeSockets: clients });
/** When each write was answered (epoch ms, sub-ms precision) and how long it took. */
const at = [];
const ms = [];
const errorKinds = {};
let errors = 0;
let stopping = false;
const now = () => performance.timeOrigin + performance.now();

function post(body) {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/transfers`, { method: "POST", agent, timeout: 15_000, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end(body);
  });
}

/** Client i moves 1 unit back and forth between two accounts, with fresh request ids: no account runs dry. */
async function loop(i) {
  const a = accounts[i % accounts.length];
  const b = accounts[(i + 1) % accounts.length];
  for (let n = 0; !stopping; n++) {
    const [from, to] = n % 2 === 0 ? [a, b] : [b, a];
    const body = JSON.stringify({ requestId: `c${i}-${n}-`.padEnd(idLength, "x"), from, to, amount: 1 });
    const start = now();
    let failure;
    try {
      const status = await post(body);
      if (status !== 200) failure = `HTTP ${status}`;
    } catch (error) {
      failure = error.code ?? error.message;
    }
    const end = now();
    if (failure === undefined) {
      at.push(end);
      ms.push(end - start);
    } else {
      errors++;
      errorKinds[failure] = (errorKinds[failure] ?? 0) + 1;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

function latency(from, to) {
  const picked = [];
  for (let i = 0; i < at.length; i++) if (at[i] >= from && at[i] <= to) picked.push(ms[i]);
  picked.sort((x, y) => x - y);
  const q = (p) => picked[Math.min(picked.length - 1, Math.max(0, Math.ceil(p * picked.length) - 1))] ?? Number.NaN;
  return { count: picked.length, p50: q(0.5), p99: q(0.99) };
}

const loops = Array.from({ length: clients }, (_, i) => loop(i));
process.on("message", async (m) => {
  if (m.op === "stats") process.send({ seq: m.seq, writes: at.length, errors, errorKinds });
  else if (m.op === "latency") process.send({ seq: m.seq, ...latency(m.from, m.to) });
  else if (m.op === "stop") {
    stopping = true;
    await Promise.all(loops);
    agent.destroy();
    process.send({ seq: m.seq, writes: at.length, errors, errorKinds }, () => process.exit(0));
  }
});
process.send({ seq: 0, ready: true });
