export {
  type BuyerService,
  type BuyerServiceOptions,
  DEFAULT_NEGOTIATION_PORT,
  startBuyerService,
} from "./buyer-service.js";
export { type LoadConfigurationOptions, loadConfiguration } from "./config-loader.js";
export type {
  BuyerConfiguration,
  Configuration,
  DaemonRole,
  SellerConfiguration,
} from "./config-resolve.js";
export { type ConfigurationInput, configurationJsonSchema, configurationSchema } from "./config-schema.js";
export {
  type ClientConnection,
  type LightningConnection,
  parseClientConnection,
  parseLightningConnection,
  redactConnection,
} from "./connection-string.js";
export { createDaemonMetrics, type DaemonMetrics } from "./daemon-metrics.js";
export { type Daemon, type DaemonOptions, startDaemon } from "./daemon-runtime.js";
export { type DemoOptions, runDemo } from "./demo-scenario.js";
export { exportLedger, type LedgerExportOptions } from "./ledger-export.js";
export { type SellerService, type SellerServiceOptions, startSellerService } from "./seller-service.js";
export type { StatusSnapshot } from "./status-snapshot.js";
