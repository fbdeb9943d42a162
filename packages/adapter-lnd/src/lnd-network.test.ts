import { describe, expect, it } from "vitest";
import { networkFromChains, networkOfInvoice } from "./lnd-network.js";

describe("networks", () => {
  it("reads the network from a BOLT11 prefix", () => {
    expect(networkOfInvoice("lnbcrt10u1pjexample")).toBe("regtest");
    expect(networkOfInvoice("lnbc20u1pvjluez")).toBe("mainnet");
    expect(networkOfInvoice("LNTB1500N1PSOMETHING")).toBe("testnet");
    expect(networkOfInvoice("lntbs1m1pexample")).toBe("signet");
    expect(networkOfInvoice("lightning:lnbcrt1pexample")).toBe("regtest");
    expect(networkOfInvoice("lnsb1u1pexample")).toBe("simnet");
    expect(networkOfInvoice("not an invoice")).toBeUndefined();
    expect(networkOfInvoice("ln1")).toBeUndefined();
  });

  it("reads the network from getWalletInfo chains in either byte order", () => {
    const regtest = "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206";
    expect(networkFromChains([regtest])).toBe("regtest");
    expect(networkFromChains([Buffer.from(regtest, "hex").reverse().toString("hex")])).toBe("regtest");
    expect(networkFromChains(["00".repeat(32)])).toBeUndefined();
  });
});
