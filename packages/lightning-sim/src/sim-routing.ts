/**
 * Path finding for the simulated network. Like LND it searches backwards from the payee, so the
 * amount each hop must forward (the payment plus the fees of the hops after it) is known while
 * searching. Routes are ranked by hop count, then by total fee; a hop is usable only when its
 * sender has the liquidity to forward the amount, both ends are online, and the route stays
 * within the fee limit. No multi-path payments: one route carries the whole amount.
 */

export interface SimChannelPolicy {
  /** Fixed fee for forwarding a payment over this channel, in msat. */
  readonly feeBaseMsat: bigint;
  /** Proportional fee in parts per million of the forwarded amount. */
  readonly feeRatePpm: bigint;
}

/** One direction of a channel as the router sees it. */
export interface SimChannelEdge {
  readonly channelId: string;
  readonly from: string;
  readonly to: string;
  /** What `from` can send over this channel now. */
  readonly liquidityMsat: bigint;
  /** The policy `from` charges for forwarding over this channel. */
  readonly policy: SimChannelPolicy;
}

export interface SimRouteHop {
  readonly channelId: string;
  readonly from: string;
  readonly to: string;
  /** The amount sent over this channel (what `to` receives). */
  readonly amountMsat: bigint;
  /** The fee `from` charges for this hop (0 for the payer's own first hop). */
  readonly feeMsat: bigint;
}

export interface SimRoute {
  readonly hops: readonly SimRouteHop[];
  /** What the payer sends in total: amount + fees. */
  readonly totalMsat: bigint;
  readonly feeMsat: bigint;
}

export interface FindRouteInput {
  readonly from: string;
  readonly to: string;
  readonly amountMsat: bigint;
  readonly edges: readonly SimChannelEdge[];
  /** Routes charging more than this are not taken. Undefined: no limit. */
  readonly maxFeeMsat?: bigint;
  /** Nodes that cannot forward or receive (offline). */
  readonly unavailable?: ReadonlySet<string>;
  /** BOLT 4 allows 20 hops. */
  readonly maxHops?: number;
}

/** The fee a node charges for forwarding `amountMsat` under `policy` (BOLT 7), rounded down. */
export function forwardingFee(policy: SimChannelPolicy, amountMsat: bigint): bigint {
  return policy.feeBaseMsat + (amountMsat * policy.feeRatePpm) / 1_000_000n;
}

interface Label {
  readonly node: string;
  readonly hops: number;
  /** What must arrive at `node` for the payee to receive the amount. */
  readonly amountMsat: bigint;
  /** The rest of the route from `node` to the payee. */
  readonly route: readonly SimRouteHop[];
}

function better(a: Label, b: Label | undefined): boolean {
  if (b === undefined) return true;
  if (a.hops !== b.hops) return a.hops < b.hops;
  return a.amountMsat < b.amountMsat;
}

/** The best route, or undefined when none has the liquidity (and fee) needed. */
export function findRoute(input: FindRouteInput): SimRoute | undefined {
  const maxHops = input.maxHops ?? 20;
  const unavailable = input.unavailable ?? new Set<string>();
  if (input.amountMsat <= 0n || input.from === input.to) return undefined;
  if (unavailable.has(input.to) || unavailable.has(input.from)) return undefined;
  const incoming = new Map<string, SimChannelEdge[]>();
  for (const edge of input.edges) {
    const list = incoming.get(edge.to) ?? [];
    list.push(edge);
    incoming.set(edge.to, list);
  }
  const best = new Map<string, Label>();
  const done = new Set<string>();
  const start: Label = { node: input.to, hops: 0, amountMsat: input.amountMsat, route: [] };
  best.set(input.to, start);
  // Dijkstra on (hops, amount) over a graph of a few dozen nodes: a linear scan for the minimum is enough.
  for (;;) {
    let current: Label | undefined;
    for (const [node, label] of best) {
      if (!done.has(node) && better(label, current)) current = label;
    }
    if (current === undefined) return undefined;
    if (current.node === input.from) {
      const feeMsat = current.amountMsat - input.amountMsat;
      return { hops: current.route, totalMsat: current.amountMsat, feeMsat };
    }
    done.add(current.node);
    if (current.hops >= maxHops) continue;
    for (const edge of incoming.get(current.node) ?? []) {
      if (done.has(edge.from)) continue;
      if (edge.from !== input.from && unavailable.has(edge.from)) continue;
      if (edge.liquidityMsat < current.amountMsat) continue;
      const feeMsat = edge.from === input.from ? 0n : forwardingFee(edge.policy, current.amountMsat);
      const amountAtSender = current.amountMsat + feeMsat;
      if (input.maxFeeMsat !== undefined && amountAtSender - input.amountMsat > input.maxFeeMsat) continue;
      const hop: SimRouteHop = {
        channelId: edge.channelId,
        from: edge.from,
        to: edge.to,
        amountMsat: current.amountMsat,
        feeMsat,
      };
      const label: Label = {
        node: edge.from,
        hops: current.hops + 1,
        amountMsat: amountAtSender,
        route: [hop, ...current.route],
      };
      if (better(label, best.get(edge.from))) best.set(edge.from, label);
    }
  }
}
