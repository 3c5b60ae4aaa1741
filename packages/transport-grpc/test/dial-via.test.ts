import { runDialViaContract } from "@raft/core/conformance";
import { GrpcTransport } from "../src/index.js";

runDialViaContract("grpc", {
  listen: (id, options) => GrpcTransport.listen({ id, clusterId: "bank", listen: { host: "127.0.0.1", port: 0 }, ...options }),
});
