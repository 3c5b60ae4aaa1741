/**
 * The hashing thread's code (CommonJS, run with `eval`, so it needs no file
 * of its own beside the compiled package). Jobs are keyed by id; each reads
 * its file from the start and hashes it up to the length the writer
 * announced (`advance`), then, on `finish`, up to the final length, and
 * replies with size and digest. A read error is kept and reported by
 * `finish`.
 *
 * Each job reads into two buffers taking turns: the next read is on its way
 * (in libuv's pool) while this thread hashes the bytes of the last one, so
 * the disk and SHA-256 overlap. A direct job reads with O_DIRECT into
 * page-aligned (WebAssembly) memory from the 4 KiB block holding its
 * position; if the file system or device refuses that, it goes on with
 * ordinary reads.
 */
export const HASH_WORKER_SOURCE = `
const { parentPort } = require("node:worker_threads");
const { createHash } = require("node:crypto");
const { open } = require("node:fs/promises");
const { constants } = require("node:fs");
const SIZE = 1 << 20;
const BLOCK = 4096;
const jobs = new Map();
const spare = { direct: [], plain: [] };

function buffers(direct) {
  const kept = spare[direct ? "direct" : "plain"].pop();
  if (kept !== undefined) return kept;
  if (!direct) return [Buffer.allocUnsafe(SIZE), Buffer.allocUnsafe(SIZE)];
  try {
    const memory = Buffer.from(new WebAssembly.Memory({ initial: (2 * SIZE) / 65536, maximum: (2 * SIZE) / 65536 }).buffer);
    return [memory.subarray(0, SIZE), memory.subarray(SIZE)];
  } catch {
    return undefined; // no more WebAssembly memory: ordinary reads
  }
}

async function openJob(job) {
  if (job.direct && constants.O_DIRECT) {
    job.buffers = buffers(true);
    if (job.buffers !== undefined) {
      try { job.fh = await open(job.path, constants.O_RDONLY | constants.O_DIRECT); return; } catch (e) { if (e.code !== "EINVAL") throw e; }
      spare.direct.push(job.buffers);
    }
  }
  await plain(job);
}

async function plain(job) {
  job.direct = false;
  job.buffers = buffers(false);
  job.fh = await open(job.path, "r");
}

// The bytes from pos on, below limit, read into the job's buffer i (empty at the end of the file).
async function readFrom(job, i, pos, limit) {
  const buf = job.buffers[i];
  if (!job.direct) {
    const { bytesRead } = await job.fh.read(buf, 0, Math.min(SIZE, limit - pos), pos);
    return buf.subarray(0, bytesRead);
  }
  const start = pos - (pos % BLOCK);
  let n;
  try {
    n = (await job.fh.read(buf, 0, Math.min(SIZE, Math.ceil((limit - start) / BLOCK) * BLOCK), start)).bytesRead;
  } catch (e) {
    if (e.code !== "EINVAL") throw e;
    await job.fh.close().catch(() => {}); // the device wants another alignment
    spare.direct.push(job.buffers);
    await plain(job);
    return readFrom(job, i, pos, limit);
  }
  const skip = pos - start;
  return buf.subarray(skip, Math.max(skip, Math.min(n, limit - start)));
}

async function pump(job) {
  if (job.running) return;
  if (job.cancelled) return end(job);
  job.running = true;
  let reading;
  try {
    if (job.fh === undefined) await openJob(job);
    let next = job.pos;
    let turn = 0;
    const readNext = () => {
      const limit = job.finishAt ?? job.to;
      if (job.eof || job.cancelled || next >= limit) return undefined;
      const i = turn;
      turn = 1 - turn;
      return readFrom(job, i, next, limit);
    };
    reading = readNext();
    while (reading !== undefined && !job.cancelled) {
      const bytes = await reading;
      reading = undefined;
      if (bytes.length === 0) { job.eof = true; break; }
      next += bytes.length;
      reading = readNext(); // on its way while these bytes are hashed
      job.hash.update(bytes);
      job.pos += bytes.length;
      if (reading === undefined) reading = readNext(); // the writer may have announced more meanwhile
    }
  } catch (e) {
    job.error = { code: e && e.code, message: String((e && e.message) || e) };
  } finally {
    await reading?.catch(() => {});
    job.running = false;
  }
  if (job.cancelled) return end(job);
  if (job.finishAt === undefined) return;
  if (job.error === undefined && !job.eof && job.pos < job.finishAt) return pump(job);
  await end(job);
  if (job.error !== undefined) parentPort.postMessage({ id: job.id, error: job.error });
  else parentPort.postMessage({ id: job.id, size: job.pos, sha256: job.hash.digest("hex") });
}

async function end(job) {
  jobs.delete(job.id);
  const fh = job.fh;
  job.fh = undefined;
  await fh?.close().catch(() => {});
  const kept = spare[job.direct ? "direct" : "plain"];
  if (job.buffers !== undefined && kept.length < 2) kept.push(job.buffers);
  job.buffers = undefined;
}

parentPort.on("message", (m) => {
  if (m.op === "start") {
    jobs.set(m.id, { id: m.id, path: m.path, direct: m.direct, fh: undefined, buffers: undefined, hash: createHash("sha256"), pos: 0, to: 0, finishAt: undefined, eof: false, error: undefined, running: false, cancelled: false });
    return;
  }
  const job = jobs.get(m.id);
  if (job === undefined) return;
  if (m.op === "advance") job.to = Math.max(job.to, m.to);
  else if (m.op === "finish") job.finishAt = m.to;
  else job.cancelled = true;
  if (!job.running) pump(job);
});
`;
