import type { Transport } from "../../src/contracts/index.js";
import { runTransportContract } from "../../src/conformance/index.js";
import { InMemoryNetwork } from "../../src/testing/index.js";

// The in-memory transport (without a clock: delivery in the next event-loop turn) passes the port's contract.
runTransportContract("InMemoryNetwork", {
  maxBufferedChunks: 0,
  async create(ids) {
    const network = new InMemoryNetwork();
    const transports = new Map<number, Transport>(ids.map((id) => [id, network.transport(id)]));
    return { transports, dispose: async () => void (await Promise.all([...transports.values()].map((t) => t.close()))) };
  },
});
