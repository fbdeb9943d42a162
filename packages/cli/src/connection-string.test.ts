import { isPeerpayError } from "@peerpay/core";
import { describe, expect, it } from "vitest";
import { parseClientConnection, parseLightningConnection, redactConnection } from "./connection-string.js";

describe("parseClientConnection", () => {
  it("reads transmission and qbittorrent strings with defaults", () => {
    expect(parseClientConnection("transmission://tr:secret@127.0.0.2:9091", "client", {})).toEqual({
      kind: "transmission",
      url: "http://127.0.0.2:9091/transmission/rpc",
      username: "tr",
      password: "secret",
    });
    expect(
      parseClientConnection("qbittorrent://127.0.0.3", "client", { PEERPAY_CLIENT_PASSWORD: "pw" }),
    ).toEqual({
      kind: "qbittorrent",
      url: "http://127.0.0.3:8080",
      username: "admin",
      password: "pw",
    });
  });

  it("decodes escaped credentials", () => {
    expect(parseClientConnection("qbittorrent://a%40b:p%3Aw@127.0.0.1:8081", "client", {}).password).toBe(
      "p:w",
    );
  });

  it.each([["ftp://x@127.0.0.1"], ["transmission"], [""], ["qbittorrent://"]])(
    "rejects %j with INVALID_CONFIG naming the key",
    (value) => {
      const failure = (() => {
        try {
          parseClientConnection(value, "seller.client", {});
        } catch (error) {
          return error;
        }
      })();
      expect(isPeerpayError(failure) && failure.code).toBe("INVALID_CONFIG");
      expect((failure as Error).message).toMatch(/^seller\.client: /);
    },
  );

  it("never repeats the password in an error", () => {
    try {
      parseClientConnection("gopher://user:hunter2@127.0.0.1", "client", {});
    } catch (error) {
      expect((error as Error).message).not.toContain("hunter2");
      return;
    }
    throw new Error("expected a failure");
  });
});

describe("parseLightningConnection", () => {
  it("reads sim, lnd, cln and clnrest strings", () => {
    expect(parseLightningConnection("sim://", "lightning", {})).toEqual({ kind: "sim" });
    expect(parseLightningConnection("lnd://127.0.0.1:10009?cert=/c&macaroon=/m", "lightning", {})).toEqual({
      kind: "lnd",
      socket: "127.0.0.1:10009",
      cert: "/c",
      macaroon: "/m",
    });
    expect(
      parseLightningConnection("lnd://127.0.0.1", "lightning", { LND_MACAROON_PATH: "/env" }),
    ).toMatchObject({
      socket: "127.0.0.1:10009",
      macaroon: "/env",
    });
    expect(parseLightningConnection("cln:///root/.lightning/regtest/lightning-rpc", "lightning", {})).toEqual(
      {
        kind: "cln",
        socketPath: "/root/.lightning/regtest/lightning-rpc",
      },
    );
    expect(parseLightningConnection("cln+https://127.0.0.1:3010?rune=abc", "lightning", {})).toEqual({
      kind: "cln-rest",
      url: "https://127.0.0.1:3010",
      rune: "abc",
    });
  });

  it("rejects a CLN host and unknown schemes", () => {
    expect(() => parseLightningConnection("cln://host/path", "lightning", {})).toThrow(/three slashes/);
    expect(() => parseLightningConnection("eclair://x", "lightning", {})).toThrow(
      /unknown Lightning backend/,
    );
  });
});

describe("redactConnection", () => {
  it("hides passwords, macaroons and runes", () => {
    const text = redactConnection("lnd://u:pw@127.0.0.1:10009?macaroon=0201abcd&cert=/c");
    expect(text).not.toContain("pw");
    expect(text).not.toContain("0201abcd");
    expect(text).toContain("cert=%2Fc");
  });
});
