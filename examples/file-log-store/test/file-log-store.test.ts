import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runLogStoreContract } from "@raft/core/conformance";
import { FileLogStore } from "../src/index.js";

// The whole proof that this adapter implements the port: one call.
runLogStoreContract("FileLogStore", {
  durable: true,
  async create() {
    const dir = await mkdtemp(join(tmpdir(), "file-log-store-"));
    const path = join(dir, "raft.log");
    const opened: FileLogStore[] = [await FileLogStore.open({ path })];
    return {
      store: opened[0] as FileLogStore,
      async reopen() {
        await opened.at(-1)?.close();
        const store = await FileLogStore.open({ path });
        opened.push(store);
        return store;
      },
      async dispose() {
        for (const s of opened) await s.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  },
});
