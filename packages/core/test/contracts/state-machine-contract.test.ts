import { runStateMachineContract } from "../../src/conformance/index.js";
import { SimStateMachine } from "../../src/testing/index.js";

// The simulator's own state machine passes the port's contract.
runStateMachineContract("SimStateMachine", {
  create: () => new SimStateMachine(),
  command: (prng, i) => new TextEncoder().encode(`c${i}-${prng.int(0, 1000)}`),
  fingerprint: (sm) => (sm as unknown as SimStateMachine).values.join("|"),
});
