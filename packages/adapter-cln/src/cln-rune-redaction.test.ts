/**
 * The rune must never appear in a log line or an error: every failure path of the clnrest mode is
 * driven (RPC error, refused rune, refused method, unreachable node, timeout, a server that echoes
 * the rune back) with a logger at debug level, and each error is searched in every form it can be
 * printed in, cause chain included.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { inspect } from "node:util";
import type { PaymentAdapter } from "@peerpay/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createClnAdapter } from "./cln-adapter.js";
import { type ClnTestbed, createClnTestbed, rejection, TEST_RUNE } from "./cln-testbed.test.support.js";
import type { ClnLogger } from "./cln-transport.js";

const WRONG_RUNE = `${TEST_RUNE}-revoked`;

function capture(): { logger: ClnLogger; lines: string[] } {
  const lines: string[] = [];
  const write = (fields: Record<string, unknown>, message: string) =>
    lines.push(`${message} ${JSON.stringify(fields)}`);
  return { logger: { debug: write, info: write, warn: write, error: write }, lines };
}

/** Every way an error can end up printed: message, stack, JSON, inspect with hidden fields, causes. */
function renderings(error: unknown): string[] {
  const out: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && depth < 10; depth++) {
    out.push(
      String(current),
      JSON.stringify(current) ?? "",
      inspect(current, { depth: 20, showHidden: true }),
    );
    if (current instanceof Error) out.push(current.stack ?? "", current.message);
    current = current instanceof Error ? current.cause : undefined;
  }
  return out;
}

function expectNoRune(texts: readonly string[]): void {
  for (const text of texts) {
    expect(text).not.toContain(TEST_RUNE);
    expect(text).not.toContain(WRONG_RUNE);
  }
}

describe("rune redaction (clnrest mode against the lightningd double)", () => {
  let bed: ClnTestbed;
  const opened: PaymentAdapter[] = [];
  beforeEach(async () => {
    bed = await createClnTestbed({
      allowedMethods: ["getinfo", "invoice", "listinvoices", "decode", "listpays", "waitanyinvoice"],
    });
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((adapter) => adapter.close()));
    await bed.close();
  });

  const open = (
    rune: string,
    logger: ClnLogger,
    url = bed.double.restUrl as string,
    requestTimeoutMs = 5_000,
  ) => {
    const adapter = createClnAdapter({
      rest: { url, rune },
      logger,
      requestTimeoutMs,
      reconnectDelayMs: { initial: 10, max: 50 },
      waitTimeoutSeconds: 1,
    });
    opened.push(adapter);
    return adapter;
  };

  it("keeps the rune out of logs and errors on every failure path", async () => {
    const { logger, lines } = capture();
    const errors: unknown[] = [];
    const adapter = open(TEST_RUNE, logger);

    // The rune works: calls succeed, so it really was sent.
    await expect(adapter.getInfo()).resolves.toMatchObject({ nodeId: bed.clnNode.id });
    await adapter.createInvoice({ amountMsat: 1_000n, description: "a", expirySeconds: 60, label: "same" });

    // An RPC error (900 Duplicate label, other terms → CONFLICT).
    errors.push(
      await rejection(
        adapter.createInvoice({ amountMsat: 2_000n, description: "b", expirySeconds: 60, label: "same" }),
      ),
    );
    // A method the rune does not permit (xpay) → BACKEND_PERMISSION_DENIED.
    const invoice = await bed.peer.createInvoice({ amountMsat: 3_000n, expirySeconds: 600 });
    const denied = await rejection(
      adapter.payInvoice({
        paymentRequest: invoice.paymentRequest,
        expectedAmountMsat: 3_000n,
        maxFeeMsat: 0n,
      }),
    );
    expect(denied.code).toBe("BACKEND_PERMISSION_DENIED");
    errors.push(denied);
    // A timeout.
    bed.double.faults.delay("getinfo", 500);
    const slow = open(TEST_RUNE, logger, bed.double.restUrl, 100);
    const timedOut = await rejection(slow.getInfo());
    expect(timedOut.code).toBe("TIMEOUT");
    errors.push(timedOut);
    bed.double.faults.clear();

    // A rune the node does not know → BACKEND_AUTH_FAILED, and that rune is not printed either.
    const wrong = open(WRONG_RUNE, logger);
    const refused = await rejection(wrong.getInfo());
    expect(refused.code).toBe("BACKEND_AUTH_FAILED");
    errors.push(refused);
    // A stream that cannot authenticate reports through onError.
    const subscription = wrong.subscribeSettledInvoices({
      cursor: undefined,
      onSettled: async () => {},
      onError: (error) => errors.push(error),
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    await subscription.close();

    // Nothing listening.
    await bed.double.stop();
    const down = await rejection(adapter.getInfo());
    expect(down.code).toBe("BACKEND_UNAVAILABLE");
    errors.push(down);

    expect(errors.length).toBeGreaterThanOrEqual(6);
    expect(lines.length).toBeGreaterThan(0);
    expectNoRune(lines);
    expectNoRune(errors.flatMap(renderings));
    expectNoRune([
      inspect(adapter, { depth: 20, showHidden: true }),
      inspect(adapter.getInstance?.(), { depth: 20, showHidden: true }),
    ]);
  });

  it("scrubs a rune that a misbehaving server echoes back in its error", async () => {
    const echo: Server = createServer((request, response) => {
      const body = JSON.stringify({
        code: -1,
        message: `rune ${String(request.headers.rune)} is not valid here`,
      });
      response.writeHead(500, { "content-type": "application/json" }).end(body);
    });
    await new Promise<void>((resolve) => echo.listen(0, "127.0.0.1", resolve));
    try {
      const { logger, lines } = capture();
      const port = (echo.address() as AddressInfo).port;
      const adapter = open(TEST_RUNE, logger, `http://127.0.0.1:${port}`);
      const error = await rejection(adapter.getInfo());
      expect(error.message).toContain("[redacted]");
      expectNoRune([...renderings(error), ...lines]);
    } finally {
      await new Promise<void>((resolve) => {
        echo.closeAllConnections();
        echo.close(() => resolve());
      });
    }
  });
});
