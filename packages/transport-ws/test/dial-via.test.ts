import { runDialViaContract } from "@raft/core/conformance";
import { WsTransport } from "../src/index.js";
import { baseOptions } from "./support/transports.js";

runDialViaContract("ws", {
  listen: (id, options) => WsTransport.listen(baseOptions(id, options)),
});
