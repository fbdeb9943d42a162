export { createLndAdapter, type LndAdapterInstance } from "./lnd-adapter.js";
export { type LndPermission, missingPermissions, readMacaroonPermissions } from "./lnd-macaroon.js";
export { type LndAdapterOptions, type LndRole, resolveLndOptions } from "./lnd-options.js";
