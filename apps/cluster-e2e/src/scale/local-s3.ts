import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** The S3 package's s3rver fixture (s3rver plus the S3 operations it lacks), run as a process of its own. */
const serverScript = fileURLToPath(new URL("../../../../packages/snapshot-store-s3/test/fixtures/s3-server.mjs", import.meta.url));

/** s3rver's well-known dummy key pair: not a secret. */
export const S3_KEYS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" } as const;

/**
 * A local S3-compatible server (s3rver over `dir`, on 127.0.0.1, a free
 * port) in its own process, so its work does not count in the nodes' RSS or
 * CPU and it is stopped by pid.
 */
export class LocalS3 {
  private constructor(
    readonly endpoint: string,
    readonly bucket: string,
    private readonly proc: ChildProcess,
  ) {}

  static async start(dir: string, bucket = "raft-snapshots"): Promise<LocalS3> {
    mkdirSync(dir, { recursive: true });
    const proc = spawn(process.execPath, [serverScript, dir, bucket], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, S3RVER_PLAIN: "0" } });
    let stderr = "";
    proc.stderr?.setEncoding("utf8").on("data", (t: string) => (stderr = (stderr + t).slice(-4000)));
    const port = await new Promise<number>((resolve, reject) => {
      let out = "";
      proc.stdout?.setEncoding("utf8").on("data", (t: string) => {
        out += t;
        const m = /listening (\d+)/.exec(out);
        if (m !== null) resolve(Number(m[1]));
      });
      proc.once("exit", (code) => reject(new Error(`s3rver exited (${code}) before listening: ${stderr}`)));
      setTimeout(() => reject(new Error(`s3rver did not start in 20 s: ${stderr}`)), 20_000).unref();
    });
    return new LocalS3(`http://127.0.0.1:${port}`, bucket, proc);
  }

  get pid(): number {
    return this.proc.pid as number;
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = new Promise((r) => this.proc.once("exit", r));
    this.proc.kill("SIGKILL");
    await exited;
  }
}
