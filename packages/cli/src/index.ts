export {
  type BuyerService,
  type BuyerServiceOptions,
  DEFAULT_NEGOTIATION_PORT,
  startBuyerService,
} from "./buyer-service.js";
export {
  type ClientConnection,
  type LightningConnection,
  parseClientConnection,
  parseLightningConnection,
  redactConnection,
} from "./connection-string.js";
export { type DemoOptions, runDemo } from "./demo-scenario.js";
export { type SellerService, type SellerServiceOptions, startSellerService } from "./seller-service.js";
