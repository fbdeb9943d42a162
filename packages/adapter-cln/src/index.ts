export { type ClnAdapterOptions, type ClnRestOptions, createClnAdapter } from "./cln-adapter.js";
export { type ClnClient, type ClnVersion, createClnClient, parseClnVersion } from "./cln-client.js";
export { ClnRpcError, clnErrorCodes, isClnRpcError, mapClnErrorCode } from "./cln-errors.js";
export { JsonStreamError, JsonStreamSplitter, type JsonStreamSplitterOptions } from "./cln-json-stream.js";
export { type ClnRestTransportOptions, createClnRestTransport } from "./cln-rest-transport.js";
export { type ClnSocketTransportOptions, createClnSocketTransport } from "./cln-socket-transport.js";
export type { ClnCallOptions, ClnLogger, ClnTransport } from "./cln-transport.js";
