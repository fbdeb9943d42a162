/**
 * The status page: plain HTML rendered on the server from the same snapshot as `/api/status` (no
 * framework, no script), with an inline SVG chart of earnings and spend over time. It reloads
 * itself every few seconds. Every value is escaped.
 */
import type { StatusSnapshot } from "./status-snapshot.js";

export function renderStatusPage(snapshot: StatusSnapshot, options: { refreshSeconds: number }): string {
  const { seller, buyer, totals } = snapshot;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="refresh" content="${options.refreshSeconds}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>peerpay status</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem;color:#1d232a;background:#fafafa}
h1{font-size:1.3rem;margin:0 0 .3rem}h2{font-size:1.05rem;margin:1.4rem 0 .4rem}
table{border-collapse:collapse;background:#fff;min-width:40rem}td,th{border:1px solid #d6dae0;padding:.25rem .5rem;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums}.sim{background:#fff3cd;border:1px solid #e0b400;padding:.4rem .6rem;display:inline-block}
.blocked{color:#b00020;font-weight:600}.allowed{color:#0a7d28}.cards{display:flex;gap:1rem;flex-wrap:wrap}
.card{background:#fff;border:1px solid #d6dae0;padding:.5rem .8rem}.card b{display:block;font-size:1.2rem}
</style></head><body>
<h1>peerpay status</h1>
<p>roles: <span data-testid="roles">${escapeHtml(snapshot.roles.join(", ") || "none")}</span> · Lightning: ${escapeHtml(snapshot.lightning)} · ${escapeHtml(snapshot.generatedAt)}</p>
${snapshot.simulated ? '<p class="sim" data-testid="simulated">Simulated Lightning network — not real money.</p>' : ""}
<div class="cards">
<div class="card">earned<b data-testid="earned-msat">${escapeHtml(totals.earnedMsat)} msat</b>${sats(totals.earnedMsat)}</div>
<div class="card">spent<b data-testid="spent-msat">${escapeHtml(totals.spentMsat)} msat</b>${sats(totals.spentMsat)}</div>
<div class="card">bytes served<b data-testid="bytes-served">${totals.bytesServed}</b>${mib(totals.bytesServed)}</div>
<div class="card">bytes received<b data-testid="bytes-received">${totals.bytesReceived}</b>${mib(totals.bytesReceived)}</div>
</div>
<h2>Earnings and spend over time</h2>
${renderChart(snapshot.series)}
${seller ? renderSeller(seller) : ""}
${buyer ? renderBuyer(buyer) : ""}
<h2>Recent payments</h2>
${table(
  ["time", "direction", "counterparty", "amount (msat)", "torrent"],
  snapshot.recentPayments.map((payment) => [
    payment.at,
    payment.kind,
    payment.counterparty,
    { number: payment.amountMsat },
    payment.infohash ?? "",
  ]),
  "payments",
)}
</body></html>
`;
}

function renderSeller(seller: NonNullable<StatusSnapshot["seller"]>): string {
  return `<h2>Peers (seller)</h2>
<p>negotiation endpoint ${escapeHtml(seller.endpoint)} · polls ${seller.polls} · poll errors ${seller.pollErrors}</p>
${table(
  ["peer", "state", "balance (msat)", "paid (msat)", "cost (msat)", "bytes served", "free bytes", "why"],
  seller.peers.map((peer) => [
    peer.peer,
    { html: peer.blocked ? '<span class="blocked">blocked</span>' : '<span class="allowed">allowed</span>' },
    { number: peer.balanceMsat },
    { number: peer.creditMsat },
    { number: peer.costMsat },
    { number: String(peer.bytesServed) },
    { number: String(peer.freeBytesUsed) },
    peer.blocked ? (peer.blockedReason ?? "") : "",
  ]),
  "peers",
)}
<h2>Per torrent and peer (served)</h2>
${table(
  ["torrent", "peer", "bytes", "free bytes", "cost (msat)"],
  seller.torrents.flatMap((torrent) =>
    torrent.peers.map((peer) => [
      torrent.name ? `${torrent.name} (${torrent.infohash.slice(0, 8)})` : torrent.infohash,
      peer.peer,
      { number: String(peer.bytes) },
      { number: String(peer.freeBytes) },
      { number: peer.costMsat },
    ]),
  ),
  "served",
)}`;
}

function renderBuyer(buyer: NonNullable<StatusSnapshot["buyer"]>): string {
  return `<h2>Sellers (buyer)</h2>
<p>polls ${buyer.polls} · poll errors ${buyer.pollErrors}</p>
${table(
  ["seller", "paid (msat)", "fees (msat)", "cost of bytes (msat)", "bytes received", "payments"],
  buyer.sellers.map((seller) => [
    seller.seller,
    { number: seller.paidMsat },
    { number: seller.feesMsat },
    { number: seller.costMsat },
    { number: String(seller.bytesReceived) },
    { number: String(seller.paymentsMade) },
  ]),
  "sellers",
)}
<h2>Per torrent and seller (received)</h2>
${table(
  ["torrent", "seller", "bytes"],
  buyer.torrents.flatMap((torrent) =>
    torrent.sellers.map((seller) => [torrent.infohash, seller.seller, { number: String(seller.bytes) }]),
  ),
  "received",
)}`;
}

type Cell = string | { number: string } | { html: string };

function table(headers: readonly string[], rows: readonly Cell[][], name: string): string {
  if (rows.length === 0) return `<p data-testid="${name}-empty">none yet</p>`;
  const head = headers.map((header) => `<th>${escapeHtml(header)}</th>`).join("");
  const body = rows
    .map(
      (row) =>
        `<tr>${row
          .map((cell) =>
            typeof cell === "string"
              ? `<td>${escapeHtml(cell)}</td>`
              : "number" in cell
                ? `<td class="n">${escapeHtml(cell.number)}</td>`
                : `<td>${cell.html}</td>`,
          )
          .join("")}</tr>`,
    )
    .join("\n");
  return `<table data-testid="${name}"><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

/** Two step lines (cumulative earned, spent) over time, scaled to the larger of the two. */
function renderChart(series: StatusSnapshot["series"]): string {
  if (series.length === 0) return '<p data-testid="chart-empty">no payments yet</p>';
  const width = 640;
  const height = 200;
  const pad = 40;
  const times = series.map((point) => Date.parse(point.at));
  const first = Math.min(...times);
  const last = Math.max(...times, first + 1000);
  const top = series.reduce((max, point) => {
    const larger = BigInt(point.earnedMsat) > BigInt(point.spentMsat) ? point.earnedMsat : point.spentMsat;
    return BigInt(larger) > max ? BigInt(larger) : max;
  }, 1n);
  const x = (time: number) => pad + ((time - first) / (last - first)) * (width - 2 * pad);
  const y = (msat: string) => height - pad - (Number(BigInt(msat)) / Number(top)) * (height - 2 * pad);
  const line = (pick: (point: StatusSnapshot["series"][number]) => string) => {
    let path = `M${x(first).toFixed(1)},${y("0").toFixed(1)}`;
    series.forEach((point, index) => {
      const px = x(times[index] ?? first).toFixed(1);
      path += ` H${px} V${y(pick(point)).toFixed(1)}`;
    });
    return `${path} H${x(last).toFixed(1)}`;
  };
  return `<svg data-testid="chart" role="img" aria-label="earned and spent over time" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" style="background:#fff;border:1px solid #d6dae0">
<line x1="${pad}" y1="${height - pad}" x2="${width - pad}" y2="${height - pad}" stroke="#888"/>
<line x1="${pad}" y1="${pad}" x2="${pad}" y2="${height - pad}" stroke="#888"/>
<text x="${pad + 4}" y="${pad - 8}" font-size="11">${escapeHtml(top.toString())} msat</text>
<text x="${pad}" y="${height - pad + 16}" font-size="11">${escapeHtml(new Date(first).toISOString().slice(11, 19))}</text>
<text x="${width - pad}" y="${height - pad + 16}" font-size="11" text-anchor="end">${escapeHtml(new Date(last).toISOString().slice(11, 19))} UTC</text>
<path d="${line((point) => point.earnedMsat)}" fill="none" stroke="#0a7d28" stroke-width="2"><title>earned</title></path>
<path d="${line((point) => point.spentMsat)}" fill="none" stroke="#d9730d" stroke-width="2" stroke-dasharray="5 3"><title>spent</title></path>
<text x="${width - pad}" y="${pad - 8}" font-size="11" text-anchor="end"><tspan fill="#0a7d28">— earned</tspan> <tspan fill="#d9730d">- - spent</tspan></text>
</svg>`;
}

function sats(msat: string): string {
  const value = BigInt(msat);
  return `<small>${value / 1000n}${value % 1000n === 0n ? "" : `.${(value % 1000n).toString().padStart(3, "0")}`} sat</small>`;
}

function mib(bytes: number): string {
  return `<small>${(bytes / 1048576).toFixed(2)} MiB</small>`;
}

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (character) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[character] ?? "",
  );
}
