/**
 * Test helpers: run nft inside a test namespace, read a set's elements, and the ruleset minus one
 * table (to show that nothing outside the enforcer's table changed).
 */
import { spawn } from "node:child_process";
import { canCreateNetworkNamespaces } from "@peerpay/testkit";

/** Root, `ip` and `nft` all present. */
export async function canRunNftables(): Promise<boolean> {
  if (!(await canCreateNetworkNamespaces())) return false;
  return nft(["--version"]).then(
    () => true,
    () => false,
  );
}

function nft(args: readonly string[], stdin = "", netns?: string): Promise<string> {
  const command = netns ? ["ip", "netns", "exec", netns, "nft", ...args] : ["nft", ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(command[0]!, command.slice(1), { stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (chunk) => {
      out += chunk;
    });
    child.stderr.on("data", (chunk) => {
      err += chunk;
    });
    child.once("error", reject);
    child.once("close", (code) =>
      code === 0 ? resolve(out) : reject(new Error(`nft ${args.join(" ")}: ${err}`)),
    );
    child.stdin.on("error", () => undefined);
    child.stdin.end(stdin);
  });
}

/** `nft -f -` with `script`, or `nft <args>` when args are given, inside `netns`. */
export function nftInNamespace(netns: string, script: string, args?: readonly string[]): Promise<string> {
  return args ? nft(args, "", netns) : nft(["-f", "-"], script, netns);
}

/** Sorted element keys of a set or map in a netdev table. */
export async function setElements(netns: string, table: string, set: string): Promise<string[]> {
  const json = JSON.parse(
    await nft(
      ["--json", "list", set.startsWith("throttle") ? "map" : "set", "netdev", table, set],
      "",
      netns,
    ),
  ) as {
    nftables: Array<{ set?: { elem?: unknown[] }; map?: { elem?: unknown[] } }>;
  };
  const entry = json.nftables.find((item) => item.set ?? item.map);
  const elements = (entry?.set ?? entry?.map)?.elem ?? [];
  return elements
    .map((element) => (Array.isArray(element) ? element[0] : element))
    .map((key) =>
      typeof key === "string"
        ? key
        : String((key as { elem?: { val?: unknown } }).elem?.val ?? JSON.stringify(key)),
    )
    .sort();
}

/** The whole ruleset of the namespace without the named table (any family), for before/after comparisons. */
export async function rulesetOutside(netns: string, table: string): Promise<string> {
  const listing = await nft(["list", "ruleset"], "", netns);
  const blocks = listing.split(/^(?=table )/m);
  return blocks.filter((block) => !new RegExp(`^table \\w+ ${table} \\{`).test(block)).join("");
}

/** The host's own ruleset (the tests never change it: every rule goes into test namespaces). */
export function hostRuleset(): Promise<string> {
  return nft(["list", "ruleset"]);
}

/** Packets the rate-limit rules of a netdev table have dropped so far (both families). */
export async function limitDrops(netns: string, table: string): Promise<number> {
  const listing = await nft(["list", "chain", "netdev", table, "to_peer"], "", netns);
  return [...listing.matchAll(/limit name .* counter packets (\d+) bytes \d+ drop/g)].reduce(
    (sum, match) => sum + Number(match[1]),
    0,
  );
}
