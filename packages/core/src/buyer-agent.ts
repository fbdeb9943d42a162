/**
 * The buyer: discovers sellers, buys credit from them and pays through its own PaymentAdapter,
 * within its policy. The store row written by `beginPayment` before paying is the guard against
 * paying an invoice twice, also across restarts: an invoice with a row is never paid again.
 */

import {
  type BuyerPolicy,
  checkBudgets,
  checkDecodedInvoice,
  checkOffer,
  checkPrice,
  committedBy,
  feeLimitFor,
  type QuoteExpectations,
} from "./buyer-policy.js";
import { createBuyerTerms, type SellerTerms } from "./buyer-terms.js";
import { isPeerpayError, PeerpayError } from "./errors.js";
import type { LedgerStore, SellerAccount } from "./ledger-store.js";
import { BYTES_PER_GIB, costOfBytes, type Msat, type MsatPerGiB, parseMsat } from "./money.js";
import { createNegotiationClient, type NegotiationClient } from "./negotiation-client.js";
import type { FetchFunction } from "./negotiation-node-fetch.js";
import type { BalanceAnswer, InvoiceOffer, WellKnownDocument } from "./negotiation-schemas.js";
import type { NodeInfo, PaymentAdapter } from "./payment-adapter.js";
import { normalizeAddress, tryNormalizeAddress } from "./peer-identity.js";

export interface BuyerOptions {
  /** The buyer's own node: `getInfo`, `decodeInvoice` and `payInvoice` are used. */
  readonly adapter: PaymentAdapter;
  readonly store: LedgerStore;
  readonly policy: BuyerPolicy;
  /** Used for every seller; pass `createNegotiationFetch({ localAddress })` to bind a source address. */
  readonly fetch?: FetchFunction;
  /** How long a seller's well-known document is reused. Default 60 s. */
  readonly discoveryTtlMs?: number;
  /** Give up waiting for a payment after this long (it then stays in flight, never retried). */
  readonly paymentTimeoutMs?: number;
  readonly now?: () => Date;
}

export interface CreditPurchase {
  /** The seller's endpoint, e.g. "http://203.0.113.5:9736". */
  readonly seller: string;
  /** Buy this much credit… */
  readonly amountMsat?: Msat;
  /** …or enough for this many bytes of `infohash`. */
  readonly bytes?: bigint;
  readonly infohash?: string;
  /** The buyer's BitTorrent listening ports, for the seller's re-dial. */
  readonly listenPorts?: readonly number[];
  /**
   * The address the credit must land on (the one the seller's client sees for this buyer). Default:
   * the address the seller reported seeing at discovery. An offer for another address is refused.
   */
  readonly expectedPeer?: string;
}

export interface CreditPurchaseResult {
  readonly seller: string;
  readonly paymentHash: string;
  readonly amountMsat: Msat;
  readonly creditMsat: Msat;
  readonly feeMsat: Msat;
  readonly preimage: string;
  readonly offer: InvoiceOffer;
}

export interface ReceivedBytes {
  readonly seller: string;
  readonly infohash: string;
  readonly bytes: bigint;
  /** The agreed price; default: the price the seller advertised when last discovered. */
  readonly priceMsatPerGiB?: MsatPerGiB;
}

export interface Buyer {
  discover(seller: string): Promise<SellerTerms>;
  buyCredit(purchase: CreditPurchase): Promise<CreditPurchaseResult>;
  /** Asks the seller for this buyer's balance (HTTP 402 comes back as `paymentRequired`). */
  getBalance(seller: string): Promise<BalanceAnswer>;
  /** Pays what the seller says is due to be unblocked, within the policy; undefined when nothing is due. */
  payWhatIsDue(seller: string, listenPorts?: readonly number[]): Promise<CreditPurchaseResult | undefined>;
  /** Records bytes received from sellers (priced at the agreed price): the base of the overcharge rule. */
  recordReceived(entries: readonly ReceivedBytes[]): Promise<void>;
  getSellerAccount(seller: string): Promise<SellerAccount | undefined>;
}

const definiteFailures = new Set([
  "NO_ROUTE",
  "INSUFFICIENT_BALANCE",
  "INVOICE_EXPIRED",
  "INVOICE_MISMATCH",
  "PAYMENT_FAILED",
  "FEE_LIMIT_EXCEEDED",
]);

export function createBuyer(options: BuyerOptions): Buyer {
  const { adapter, store, policy } = options;
  const now = options.now ?? (() => new Date());
  const clients = new Map<string, NegotiationClient>();
  const terms = createBuyerTerms({ ttlMs: options.discoveryTtlMs ?? 60_000, now });
  let ownInfo: Promise<NodeInfo> | undefined;
  let lock: Promise<unknown> = Promise.resolve();
  /** Budget checks and `beginPayment` run one purchase at a time, so two cannot both fit a budget. */
  const exclusive = <T>(work: () => Promise<T>): Promise<T> => {
    const result = lock.then(work, work);
    lock = result.catch(() => undefined);
    return result;
  };

  const clientFor = (seller: string): NegotiationClient => {
    const origin = originOf(seller);
    let client = clients.get(origin);
    if (!client) {
      client = createNegotiationClient({
        baseUrl: origin,
        ...(options.fetch ? { fetch: options.fetch } : {}),
      });
      clients.set(origin, client);
    }
    return client;
  };

  const discover = async (seller: string): Promise<SellerTerms> => {
    const client = clientFor(seller);
    const cached = terms.get(client.origin);
    if (cached) return cached;
    ownInfo ??= adapter.getInfo().catch((error: unknown) => {
      ownInfo = undefined;
      throw error;
    });
    const [document, info] = await Promise.all([client.getWellKnown(), ownInfo]);
    return terms.accept(client.origin, document as WellKnownDocument, info);
  };

  const checkBudgetsNow = async (seller: string, amount: Msat, feeLimit: Msat, infohash?: string) => {
    const at = now();
    const [sellerPayments, account, spentLastDayMsat, spentTotalMsat, all] = await Promise.all([
      store.listPayments({ seller }),
      store.getSellerAccount(seller),
      store.spentSince(new Date(at.getTime() - 86_400_000)),
      store.spentSince(new Date(0)),
      infohash !== undefined && policy.perTorrentBudgetMsat !== undefined
        ? store.listPayments()
        : Promise.resolve([]),
    ]);
    const torrentCommittedMsat =
      infohash === undefined
        ? undefined
        : all
            .filter((payment) => payment.infohash === infohash)
            .reduce((sum, payment) => sum + committedBy(payment), 0n);
    checkBudgets(
      policy,
      {
        sellerPayments,
        receivedCostMsat: account?.costMsat ?? 0n,
        spentLastDayMsat,
        spentTotalMsat,
        ...(torrentCommittedMsat === undefined ? {} : { torrentCommittedMsat }),
      },
      amount,
      feeLimit,
    );
  };

  const buyCredit = async (purchase: CreditPurchase): Promise<CreditPurchaseResult> => {
    const seller = await discover(purchase.seller);
    const infohash = purchase.infohash?.toLowerCase();
    const price = seller.priceOf(infohash);
    checkPrice(policy, price, infohash === undefined ? "this seller's default price" : `torrent ${infohash}`);
    let expected: QuoteExpectations;
    if (purchase.bytes !== undefined) {
      if (infohash === undefined) throw new PeerpayError("INVALID_INPUT", "buying bytes needs an infohash");
      if (price === 0n)
        throw new PeerpayError("INVALID_INPUT", "this torrent is free; there is nothing to buy");
      const amountMsat = (purchase.bytes * price + BYTES_PER_GIB - 1n) / BYTES_PER_GIB;
      expected = {
        ...seller.expectations,
        amountMsat,
        priceMsatPerGiB: price,
        bytes: purchase.bytes,
        infohash,
      };
    } else {
      if (purchase.amountMsat === undefined)
        throw new PeerpayError("INVALID_INPUT", "give amountMsat or bytes");
      const amountMsat = parseMsat(purchase.amountMsat, "amountMsat");
      expected = { ...seller.expectations, amountMsat, ...(infohash === undefined ? {} : { infohash }) };
    }
    seller.checkAmountLimits(expected.amountMsat);
    const feeLimit = feeLimitFor(policy, expected.amountMsat);
    await exclusive(() => checkBudgetsNow(seller.origin, expected.amountMsat, feeLimit, infohash));

    const offer = await clientFor(seller.origin).requestInvoice({
      ...(purchase.bytes === undefined
        ? { amountMsat: expected.amountMsat.toString() }
        : { bytes: purchase.bytes.toString() }),
      ...(infohash === undefined ? {} : { infohash }),
      ...(purchase.listenPorts?.length ? { listenPorts: [...purchase.listenPorts] } : {}),
    });
    checkOffer(offer, expected);
    const expectedPeer = normalizeAddress(purchase.expectedPeer ?? seller.document.identity.address);
    if (tryNormalizeAddress(offer.peer) !== expectedPeer) {
      throw new PeerpayError("INVOICE_MISMATCH", `the offer credits ${offer.peer}, not ${expectedPeer}`, {
        details: { field: "peer" },
      });
    }
    const decoded = await adapter.decodeInvoice(offer.paymentRequest);
    checkDecodedInvoice(policy, decoded, offer, expected, now());

    await exclusive(async () => {
      if (await store.getPayment(decoded.paymentHash)) {
        throw new PeerpayError(
          "INVOICE_ALREADY_PAID",
          "this invoice was already paid (or attempted); it is never paid twice",
        );
      }
      await checkBudgetsNow(seller.origin, expected.amountMsat, feeLimit, infohash);
      try {
        await store.beginPayment({
          paymentHash: decoded.paymentHash,
          paymentRequest: offer.paymentRequest,
          seller: seller.origin,
          ...(infohash === undefined ? {} : { infohash }),
          amountMsat: expected.amountMsat,
          maxFeeMsat: feeLimit,
          createdAt: now(),
        });
      } catch (error) {
        if (isPeerpayError(error) && error.code === "CONFLICT") {
          throw new PeerpayError("INVOICE_ALREADY_PAID", "this invoice was already paid (or attempted)", {
            cause: error,
          });
        }
        throw error;
      }
    });

    try {
      const result = await adapter.payInvoice({
        paymentRequest: offer.paymentRequest,
        expectedAmountMsat: expected.amountMsat,
        maxFeeMsat: feeLimit,
        expectedNetwork: decoded.network,
        expectedPayee: expected.payee,
        ...(options.paymentTimeoutMs === undefined ? {} : { timeoutMs: options.paymentTimeoutMs }),
      });
      await store.completePayment(
        decoded.paymentHash,
        { state: "succeeded", feeMsat: result.feeMsat, preimage: result.preimage },
        now(),
      );
      return {
        seller: seller.origin,
        paymentHash: decoded.paymentHash,
        amountMsat: expected.amountMsat,
        creditMsat: BigInt(offer.creditMsat),
        feeMsat: result.feeMsat,
        preimage: result.preimage,
        offer,
      };
    } catch (error) {
      // Only a definite failure releases the budget; anything else stays in flight, never retried.
      if (isPeerpayError(error) && definiteFailures.has(error.code)) {
        await store.completePayment(decoded.paymentHash, { state: "failed", failureCode: error.code }, now());
      }
      throw error;
    }
  };

  return {
    discover,
    buyCredit,
    getBalance: (seller) => clientFor(seller).getBalance(),
    async payWhatIsDue(seller, listenPorts) {
      const balance = await clientFor(seller).getBalance();
      if (!balance.paymentRequired || !balance.offer) return undefined;
      return buyCredit({
        seller,
        amountMsat: BigInt(balance.offer.amountMsat),
        ...(listenPorts ? { listenPorts } : {}),
      });
    },
    async recordReceived(entries) {
      const at = now();
      const batch = [];
      for (const entry of entries) {
        const origin = originOf(entry.seller);
        const infohash = entry.infohash.toLowerCase();
        const price = entry.priceMsatPerGiB ?? terms.agreedPrice(origin, infohash);
        if (price === undefined) {
          throw new PeerpayError(
            "INVALID_INPUT",
            `no agreed price with ${origin}: discover it first or pass the price`,
          );
        }
        batch.push({
          seller: origin,
          infohash,
          bytes: entry.bytes,
          priceMsatPerGiB: price,
          costMsat: costOfBytes(entry.bytes, price),
          at,
        });
      }
      await store.recordReceived(batch);
    },
    getSellerAccount: (seller) => store.getSellerAccount(originOf(seller)),
  };
}

export function originOf(seller: string): string {
  try {
    const url = new URL(seller);
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error("scheme");
    return url.origin;
  } catch (error) {
    throw new PeerpayError("INVALID_INPUT", `"${seller.slice(0, 100)}" is not an http(s) seller endpoint`, {
      cause: error,
    });
  }
}
