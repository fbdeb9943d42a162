export { decodePeerpayMessage, encodePeerpayMessage } from "./bep10-codec.js";
export {
  BEP10_MAX_FRAME_BYTES,
  type ExtendedFrame,
  frameBep10Handshake,
  frameExtendedMessage,
  framePeerpayMessage,
  parseExtendedFrame,
  readExtendedFrame,
} from "./bep10-frame.js";
export { decodeBep10Handshake, encodeBep10Handshake, peerpayExtensionId } from "./bep10-handshake.js";
export {
  BEP10_HANDSHAKE_ID,
  BEP10_MAX_HANDSHAKE_BYTES,
  BEP10_MESSAGE_ID,
  type Bep10Handshake,
  type CreditMessage,
  type PaidMessage,
  type PaymentRequiredMessage,
  PEERPAY_EXTENSION_NAME,
  PEERPAY_EXTENSION_VERSION,
  PEERPAY_MAX_MESSAGE_BYTES,
  type PeerpayBinding,
  type PeerpayHandshakeRail,
  type PeerpayHandshakeTerms,
  type PeerpayMessage,
  type PeerpayMessageType,
  type PeerpayRejectReason,
  peerpayMessageTypes,
  peerpayRejectReasons,
  type RejectMessage,
  type TipMessage,
} from "./bep10-messages.js";
export {
  type Buyer,
  type BuyerOptions,
  type CreditPurchase,
  type CreditPurchaseResult,
  createBuyer,
  type ReceivedBytes,
} from "./buyer-agent.js";
export {
  type BudgetFacts,
  type BuyerPolicy,
  checkBudgets,
  checkDecodedInvoice,
  checkOffer,
  checkPrice,
  feeLimitFor,
  type QuoteExpectations,
} from "./buyer-policy.js";
export type { SellerTerms } from "./buyer-terms.js";
export {
  AdapterError,
  BridgeError,
  type ErrorCode,
  errorCodes,
  httpStatusByCode,
  isPeerpayError,
  isRetryable,
  PeerpayError,
  type PeerpayErrorOptions,
  toPeerpayError,
} from "./errors.js";
export {
  type AllowDecision,
  type AmountInput,
  type BlockDecision,
  createLedgerPolicy,
  type LedgerDecision,
  type LedgerDecisionCode,
  type LedgerPolicy,
  type LedgerPolicyConfiguration,
  type PolicyAccount,
  type ResolvedLedgerPolicy,
  resolveLedgerPolicy,
  type ThrottleDecision,
} from "./ledger-policy.js";
export {
  accountBalance,
  type HistoryFilter,
  type IssuedInvoiceRecord,
  type IssuedInvoiceState,
  type LedgerEntry,
  type LedgerStore,
  type OutgoingPaymentRecord,
  type OutgoingPaymentState,
  type PeerAccount,
  type ReceivedRecord,
  type SellerAccount,
  type SettlementInput,
  type SettlementResult,
  type UsageRecord,
} from "./ledger-store.js";
export { applyThrottleLane, type ThrottleLaneConfiguration } from "./ledger-throttle.js";
export {
  createMemoryLedgerStore,
  type MemoryLedgerStore,
  type MemoryLedgerStoreOptions,
} from "./memory-ledger-store.js";
export {
  BYTES_PER_GIB,
  bytesForMsat,
  costOfBytes,
  describeMsat,
  formatMsat,
  formatPrice,
  MAX_MSAT,
  MSAT_PER_SAT,
  type Msat,
  type MsatPerGiB,
  parseMsat,
  parsePrice,
  toByteCount,
} from "./money.js";
export {
  createNegotiationClient,
  type NegotiationClient,
  type NegotiationClientOptions,
} from "./negotiation-client.js";
export { createNegotiationHandler } from "./negotiation-handler.js";
export {
  createRateLimiter,
  type RateLimitDecision,
  type RateLimiter,
  type RateLimiterOptions,
  rateLimitKey,
} from "./negotiation-limits.js";
export {
  createNegotiationFetch,
  type FetchFunction,
  type NegotiationFetchOptions,
} from "./negotiation-node-fetch.js";
export {
  defaultNegotiationLimits,
  type NegotiationAccounts,
  type NegotiationAccountView,
  type NegotiationHandler,
  type NegotiationHandlerOptions,
  type NegotiationLimits,
  type NegotiationPricing,
  type NegotiationRequestContext,
  type NegotiationTerms,
} from "./negotiation-options.js";
export {
  type BalanceAnswer,
  balanceSchema,
  errorBodySchema,
  type InvoiceOffer,
  type InvoiceRequestBody,
  type InvoiceStatus,
  invoiceOfferSchema,
  invoiceRequestSchema,
  invoiceStatusSchema,
  NEGOTIATION_PROTOCOL_VERSION,
  type NegotiationErrorBody,
  type NegotiationRail,
  negotiationPaths,
  type WellKnownDocument,
  wellKnownSchema,
} from "./negotiation-schemas.js";
export {
  describeLedgerTerms,
  negotiationFromSellerLedger,
  type SellerLedgerNegotiation,
} from "./negotiation-seller-ledger.js";
export {
  type NegotiationServer,
  type ServeNegotiationOptions,
  serveNegotiation,
} from "./negotiation-server.js";
export type {
  CreateInvoiceRequest,
  DecodedInvoice,
  Invoice,
  InvoiceState,
  LightningNetwork,
  NodeInfo,
  PayInvoiceRequest,
  PaymentAdapter,
  PaymentAdapterCapabilities,
  PaymentResult,
  SettledInvoice,
  SettledInvoiceSubscription,
  SettledInvoiceSubscriptionOptions,
} from "./payment-adapter.js";
export { formatEndpoint, normalizeAddress, tryNormalizeAddress } from "./peer-identity.js";
export {
  createPriceBook,
  formatPriceTag,
  type PriceBook,
  type PriceBookConfiguration,
  type PriceInput,
  type PriceListing,
  type PriceResolution,
  type PriceSource,
} from "./price-book.js";
export {
  type AccountView,
  createSellerLedger,
  type PollRecording,
  type SellerLedger,
  type SellerLedgerOptions,
  type SettlementOutcome,
  type SkippedSample,
} from "./seller-ledger.js";
export {
  type SettlementWatcher,
  type SettlementWatcherOptions,
  type SettlementWatcherStats,
  startSettlementWatcher,
} from "./settlement-watcher.js";
export { LEDGER_SCHEMA_VERSION } from "./sqlite-ledger-schema.js";
export {
  createSqliteLedgerStore,
  type SqliteLedgerStore,
  type SqliteLedgerStoreOptions,
} from "./sqlite-ledger-store.js";
export type {
  ClientInfo,
  PeerEndpoint,
  PeerSample,
  PollResult,
  TorrentBridge,
  TorrentBridgeCapabilities,
  TorrentInfo,
  TorrentPeers,
} from "./torrent-bridge.js";
