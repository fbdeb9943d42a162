export {
  createSimAdapter,
  type SimAdapterInstance,
  type SimAdapterOptions,
} from "./sim-adapter.js";
export {
  createSimNodeKeys,
  decodeBolt11,
  InvoiceDecodeError,
  SIMNET_INVOICE_PREFIX,
  type SimNodeKeys,
} from "./sim-invoice.js";
export { createSimNetwork, loadSimNetwork } from "./sim-network.js";
export type {
  AddSimNodeOptions,
  OpenSimChannelOptions,
  SimChannel,
  SimChannelPolicy,
  SimInvoice,
  SimNetwork,
  SimNetworkOptions,
  SimNetworkSnapshot,
  SimNode,
  SimNodeBalance,
  SimNodeFaults,
  SimNodeRef,
  SimPayment,
  SimPaymentFailure,
  SimPaymentFault,
  SimPaymentStatus,
  SimPayRequest,
  SimRouteHop,
} from "./sim-network-types.js";
export { findRoute, forwardingFee, type SimRoute } from "./sim-routing.js";
