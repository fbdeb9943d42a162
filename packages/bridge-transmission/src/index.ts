export { apportion } from "./transmission-apportion.js";
export { countBlocklistRules, formatBlocklist, PLACEHOLDER_ADDRESS } from "./transmission-blocklist.js";
export { createTransmissionBridge } from "./transmission-bridge.js";
export type {
  BlockedConnection,
  TransmissionBridge,
  TransmissionBridgeOptions,
} from "./transmission-bridge-options.js";
export {
  compareVersions,
  parseTransmissionVersion,
  type TransmissionFeatures,
  type TransmissionVersion,
  transmissionFeatures,
} from "./transmission-version.js";
