export { apportion } from "./transmission-apportion.js";
export { countBlocklistRules, formatBlocklist, PLACEHOLDER_ADDRESS } from "./transmission-blocklist.js";
export {
  type BlockedConnection,
  createTransmissionBridge,
  type TransmissionBridge,
  type TransmissionBridgeOptions,
} from "./transmission-bridge.js";
export {
  compareVersions,
  parseTransmissionVersion,
  type TransmissionFeatures,
  type TransmissionVersion,
  transmissionFeatures,
} from "./transmission-version.js";
