/** Checks what callers pass in (addresses, infohashes) before anything reaches the client. */
import { BridgeError, tryNormalizeAddress } from "@peerpay/core";

/** Normalised, de-duplicated addresses; INVALID_INPUT (and nothing done) if any is not an IP. */
export function normalizeAll(addresses: readonly string[], operation: string): string[] {
  return [
    ...new Set(
      addresses.map((value) => {
        const address = tryNormalizeAddress(value);
        if (!address) {
          throw new BridgeError(
            "qbittorrent",
            operation,
            "INVALID_INPUT",
            `"${String(value).slice(0, 64)}" is not an IP address`,
          );
        }
        return address;
      }),
    ),
  ];
}

export function validateInfohash(infohash: string, operation: string): string {
  if (!/^[0-9a-fA-F]{40}$/.test(infohash)) {
    throw new BridgeError("qbittorrent", operation, "INVALID_INPUT", "infohash must be 40 hex characters");
  }
  return infohash.toLowerCase();
}
