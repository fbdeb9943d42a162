/**
 * Test doubles for Core Lightning. THESE ARE DOUBLES, NOT LIGHTNING NODES: a protocol-level
 * stand-in for lightningd's JSON-RPC socket and clnrest, backed by the simulated network.
 */
export {
  createLightningdDouble,
  type LightningdDouble,
  type LightningdDoubleFaults,
  type LightningdDoubleOptions,
} from "./lightningd-double.js";
export { availableMethods } from "./lightningd-double-methods.js";
