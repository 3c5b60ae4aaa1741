/**
 * The hashing thread's code (CommonJS, run with `eval`, so it needs no file
 * of its own beside the compiled package). Jobs are keyed by id; each hashes
 * its file in order from the start: from disk up to the length the writer
 * announced (`advance`), and from shared memory (`memory`, posted once) the
 * ranges the writer hands over (`hand-over`: bytes it is writing,
 * acknowledged with `hashedTo` once hashed, so the writer may reuse them); on `finish`, from disk up to
 * the final length. It replies with size and digest; a read error is kept
 * and reported by `finish`.
 *
 * Disk reads go into two buffers taking turns: the next read is on its way
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

// Keeps up to two pairs of each kind for the next jobs.
function keep(direct, pair) {
  const kept = spare[direct ? "direct" : "plain"];
  if (pair !== undefined && kept.length < 2) kept.push(pair);
}

async function openJob(job) {
  if (job.direct && constants.O_DIRECT) {
    job.buffers = buffers(true);
    if (job.buffers !== undefined) {
      try { job.fh = await open(job.path, constants.O_RDONLY | constants.O_DIRECT); return; } catch (e) { if (e.code !== "EINVAL") throw e; }
      keep(true, job.buffers);
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
    keep(true, job.buffers);
    await plain(job);
    return readFrom(job, i, pos, limit);
  }
  const skip = pos - start;
  return buf.subarray(skip, Math.max(skip, Math.min(n, limit - start)));
}

// Hashes what it can, in file order: from disk up to what the writer announced, and buffers the writer handed over (each acknowledged once hashed).
async function pump(job) {
  if (job.running) return;
  if (job.cancelled) return end(job);
  job.running = true;
  try {
    for (let before = -1; before !== job.pos && !job.cancelled;) {
      before = job.pos;
      await readDisk(job, diskLimit(job));
      hashHandedOver(job);
    }
  } catch (e) {
    job.error = { code: e && e.code, message: String((e && e.message) || e) };
  } finally {
    job.running = false;
  }
  if (job.cancelled) return end(job);
  if (job.finishAt === undefined) return;
  if (job.error === undefined && job.handedOver.length > 0) job.error = { message: "the hashing thread was handed bytes past a gap at " + job.pos };
  if (job.error === undefined && !job.eof && job.pos < job.finishAt) return pump(job);
  await end(job);
  if (job.error !== undefined) parentPort.postMessage({ id: job.id, error: job.error });
  else parentPort.postMessage({ id: job.id, size: job.pos, sha256: job.hash.digest("hex") });
}

// Disk bytes are hashed up to the first buffer handed over, or (none waiting) what was announced, or at the end all of them.
function diskLimit(job) {
  if (job.handedOver.length > 0) return Math.min(job.to, job.handedOver[0].at);
  return job.finishAt ?? job.to;
}

// Reads [job.pos, limit) from disk into two buffers taking turns: the next read is on its way while this thread hashes the last.
async function readDisk(job, limit) {
  if (job.eof || job.pos >= limit) return;
  if (job.fh === undefined) await openJob(job);
  let next = job.pos;
  let turn = 0;
  const readNext = () => {
    if (job.cancelled || next >= limit) return undefined;
    const i = turn;
    turn = 1 - turn;
    return readFrom(job, i, next, limit);
  };
  let reading = readNext();
  try {
    while (reading !== undefined) {
      const bytes = await reading;
      reading = undefined;
      if (bytes.length === 0) { job.eof = true; return; }
      next += bytes.length;
      reading = readNext();
      job.hash.update(bytes);
      job.pos += bytes.length;
    }
  } finally {
    await reading?.catch(() => {});
  }
}

// Buffers handed over start at or before job.pos (they may repeat bytes already hashed, which are skipped).
function hashHandedOver(job) {
  while (job.handedOver.length > 0 && job.handedOver[0].at <= job.pos && !job.cancelled) {
    const h = job.handedOver.shift();
    const end = h.at + h.length;
    if (end > job.pos) {
      job.hash.update(new Uint8Array(h.memory, h.offset + (job.pos - h.at), end - job.pos));
      job.pos = end;
    }
    parentPort.postMessage({ id: job.id, hashedTo: end });
  }
}

async function end(job) {
  jobs.delete(job.id);
  const fh = job.fh;
  job.fh = undefined;
  await fh?.close().catch(() => {});
  keep(job.direct, job.buffers);
  job.buffers = undefined;
}

parentPort.on("message", (m) => {
  if (m.op === "start") {
    jobs.set(m.id, { id: m.id, path: m.path, direct: m.direct, fh: undefined, buffers: undefined, hash: createHash("sha256"), pos: 0, to: 0, memory: undefined, handedOver: [], finishAt: undefined, eof: false, error: undefined, running: false, cancelled: false });
    return;
  }
  const job = jobs.get(m.id);
  if (job === undefined) return;
  if (m.op === "advance") job.to = Math.max(job.to, m.to);
  else if (m.op === "memory") job.memory = m.memory;
  else if (m.op === "hand-over") job.handedOver.push({ memory: job.memory, offset: m.offset, length: m.length, at: m.at });
  else if (m.op === "finish") job.finishAt = m.to;
  else job.cancelled = true;
  if (!job.running) pump(job);
});
`;
