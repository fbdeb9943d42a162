import { describe, expect, it } from "vitest";
import { compareVersions, parseTransmissionVersion, transmissionFeatures } from "./transmission-version.js";

const features = (text: string) => transmissionFeatures(parseTransmissionVersion(text));

describe("Transmission version → features", () => {
  it("parses the daemons' own version strings", () => {
    expect(parseTransmissionVersion("3.00 (bb6b5a062e)")).toEqual({
      major: 3,
      minor: 0,
      patch: 0,
      prerelease: [],
    });
    expect(parseTransmissionVersion("4.1.0-beta.4 (abc)")).toEqual({
      major: 4,
      minor: 1,
      patch: 0,
      prerelease: ["beta", 4],
    });
    expect(parseTransmissionVersion("nonsense")).toBeUndefined();
  });

  it("orders prereleases before releases", () => {
    const order = ["2.94", "3.00", "4.0.6", "4.1.0-beta.2", "4.1.0-beta.4", "4.1.0", "4.1.3"].map(
      (text) => parseTransmissionVersion(text)!,
    );
    for (let index = 1; index < order.length; index++) {
      expect(compareVersions(order[index - 1]!, order[index]!)).toBeLessThan(0);
    }
  });

  it("declares block disconnects and per-peer counters only where the daemon has them", () => {
    expect(features("3.00 (bb6b5a062e)")).toMatchObject({ blockDisconnects: false, peerByteCounter: "none" });
    expect(features("4.0.6 (38c164933e)")).toMatchObject({
      blockDisconnects: false,
      peerByteCounter: "none",
    });
    expect(features("4.1.0-beta.2 (x)")).toMatchObject({ blockDisconnects: true, peerByteCounter: "none" });
    expect(features("4.1.0-beta.4 (x)")).toMatchObject({
      blockDisconnects: true,
      peerByteCounter: "window-60s",
    });
    expect(transmissionFeatures(undefined)).toEqual({
      blockDisconnects: false,
      peerByteCounter: "none",
      rpcProtocol: "legacy",
      incomingPeerPort: "listen",
    });
  });

  it("reads the RPC protocol from rpc-version-semver, not from the version name", () => {
    const beta2 = parseTransmissionVersion("4.1.0-beta.2 (ac5c9e082d)");
    // What the daemons answer: 3.00 has no semver, 4.1.0-beta.2 says 5.4.0, JSON-RPC 2.0 came with 6.0.0.
    expect(transmissionFeatures(parseTransmissionVersion("3.00"), undefined).rpcProtocol).toBe("legacy");
    expect(transmissionFeatures(beta2, "5.4.0").rpcProtocol).toBe("legacy");
    expect(transmissionFeatures(beta2, "6.0.0").rpcProtocol).toBe("json-rpc-2.0");
    expect(transmissionFeatures(undefined, "6.1.0").rpcProtocol).toBe("json-rpc-2.0");
  });

  it("knows that 4.1 reports an incoming peer's socket port, 3.00 its listening port", () => {
    expect(features("3.00 (bb6b5a062e)").incomingPeerPort).toBe("listen");
    expect(features("4.1.0-beta.2 (ac5c9e082d)").incomingPeerPort).toBe("socket");
    expect(features("4.1.3 (x)").incomingPeerPort).toBe("socket");
  });
});
