/**
 * Test support (not shipped): opens the status page in Debian's headless Chromium through
 * playwright-core (no browser download), takes a screenshot and reads what the page shows.
 */
import { existsSync } from "node:fs";
import { chromium } from "playwright-core";

export const chromiumPath = "/usr/bin/chromium";
export const chromiumMissing = existsSync(chromiumPath)
  ? undefined
  : "Debian's chromium is not installed (scripts/setup-system.sh installs it unless PEERPAY_SKIP_BROWSER=1)";

export interface StatusPageView {
  readonly earnedMsat: string;
  readonly spentMsat: string;
  readonly bytesServed: string;
  readonly bytesReceived: string;
  readonly simulatedBanner: boolean;
  readonly chartPaths: number;
  /** Rows of the peers table: peer → its cells. */
  readonly peers: Record<string, string[]>;
  readonly sellers: Record<string, string[]>;
  readonly paymentRows: number;
}

export async function viewStatusPage(url: string, screenshotPath: string): Promise<StatusPageView> {
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1100, height: 1400 } });
    const response = await page.goto(url, { waitUntil: "load", timeout: 30_000 });
    if (!response?.ok()) throw new Error(`status page answered ${response?.status()}`);
    await page.screenshot({ path: screenshotPath, fullPage: true });
    const text = async (testId: string) => (await page.getByTestId(testId).textContent())?.trim() ?? "";
    const rows = async (testId: string) => {
      const table = page.getByTestId(testId);
      if ((await table.count()) === 0) return {};
      const cells = await table
        .locator("tbody tr")
        .evaluateAll((trs) =>
          trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => (td.textContent ?? "").trim())),
        );
      return Object.fromEntries(cells.map((row) => [row[0] ?? "", row]));
    };
    return {
      earnedMsat: (await text("earned-msat")).replace(/ msat$/, ""),
      spentMsat: (await text("spent-msat")).replace(/ msat$/, ""),
      bytesServed: await text("bytes-served"),
      bytesReceived: await text("bytes-received"),
      simulatedBanner: (await page.getByTestId("simulated").count()) === 1,
      chartPaths: await page.locator('[data-testid="chart"] path').count(),
      peers: await rows("peers"),
      sellers: await rows("sellers"),
      paymentRows: await page.locator('[data-testid="payments"] tbody tr').count(),
    };
  } finally {
    await browser.close();
  }
}
