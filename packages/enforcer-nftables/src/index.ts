export {
  capabilityHint,
  createNftablesRunner,
  type NftablesCommandOptions,
  type NftablesRunner,
} from "./nftables-command.js";
export { type PeerTraffic, parseCounterSet } from "./nftables-counters.js";
export { createNftablesEnforcer, type NftablesEnforcer, type ThrottledPeer } from "./nftables-enforcer.js";
export type { EnforcerStateInput, NftablesEnforcerOptions, ThrottledPeerInput } from "./nftables-options.js";
export { canonicalAddress, defaultBurstBytes, type NftablesLayout, tableScript } from "./nftables-script.js";
