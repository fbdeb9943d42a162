/** Test support: a real LND network on regtest, and a relay to cut its connections. */
export {
  type LndNodeName,
  type LndRegtest,
  type LndRegtestNode,
  type StartLndRegtestOptions,
  startLndRegtest,
} from "./lnd-regtest-harness.js";
export { findLndBinaries, type LndBinaries } from "./lnd-regtest-processes.js";
export { startTcpProxy, type TcpProxy } from "./lnd-tcp-proxy.js";
