/**
 * A real Lightning network on regtest for tests: btcd and three lnd nodes (alice, bob, carol) on
 * free 127.0.0.1 ports, each with its own directory under one temp dir. alice and bob are funded
 * by mining to their addresses (btcd has no wallet: it is restarted with --miningaddr), segwit is
 * activated (~432 blocks on btcd regtest), then channels alice→bob and bob→carol are opened and
 * announced, so alice can pay bob directly and carol through bob (bob charges a routing fee).
 * `stop()` stops every process it started, by PID, and removes the directory.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type AuthenticatedLnd,
  addPeer,
  authenticatedLndGrpc,
  createChainAddress,
  getChainBalance,
  getChannels,
  getRouteToDestination,
  getWalletInfo,
  openChannel,
} from "lightning";
import {
  findLndBinaries,
  freePort,
  type LndBinaries,
  type ManagedProcess,
  run,
  startProcess,
  waitFor,
} from "./lnd-regtest-processes.js";

export type LndNodeName = "alice" | "bob" | "carol";

export interface LndRegtestNode {
  readonly name: LndNodeName;
  /** `127.0.0.1:<port>` of the gRPC interface. */
  readonly socket: string;
  readonly certPath: string;
  readonly adminMacaroonPath: string;
  readonly invoiceMacaroonPath: string;
  readonly readonlyMacaroonPath: string;
  readonly publicKey: string;
  /** The node's own `lightning` client (admin macaroon), for test set-up and checks. */
  readonly lnd: AuthenticatedLnd;
}

export interface LndRegtest {
  readonly directory: string;
  readonly nodes: Readonly<Record<LndNodeName, LndRegtestNode>>;
  /** Bob's routing fee policy, so tests can compute what a payment through bob costs. */
  readonly bobFee: { readonly baseMsat: bigint; readonly ratePpm: bigint };
  mineBlocks(count: number): Promise<void>;
  /** Stops and restarts one lnd node (same directory and ports); resolves when it answers again. */
  restartNode(name: LndNodeName): Promise<void>;
  /** Waits until `name` has an active channel with the peer `publicKey` (after a restart). */
  waitForActiveChannel(name: LndNodeName, publicKey: string): Promise<void>;
  stop(): Promise<void>;
}

export interface StartLndRegtestOptions {
  readonly binaries?: LndBinaries;
  /** Prints progress with timings (default: when PEERPAY_LND_HARNESS_VERBOSE=1). */
  readonly log?: (line: string) => void;
}

const names: readonly LndNodeName[] = ["alice", "bob", "carol"];
const rpcUser = "peerpay";
const rpcPass = "regtest-only";
const bobFee = { baseMsat: 1000n, ratePpm: 100n };

export async function startLndRegtest(options: StartLndRegtestOptions = {}): Promise<LndRegtest> {
  const found = options.binaries ?? findLndBinaries();
  if ("missing" in found) throw new Error(`LND binaries missing: ${found.missing}`);
  const binaries = found;
  const started = Date.now();
  const log =
    options.log ??
    (process.env.PEERPAY_LND_HARNESS_VERBOSE === "1" ? (line: string) => console.error(line) : () => {});
  const step = (text: string) => log(`[lnd-regtest +${((Date.now() - started) / 1000).toFixed(1)}s] ${text}`);
  const directory = mkdtempSync(join(tmpdir(), "peerpay-lnd-"));
  const processes = new Map<string, ManagedProcess>();
  const stopAll = async () => {
    await Promise.all([...processes.values()].map((managed) => managed.stop()));
    processes.clear();
  };

  try {
    const btcdDir = join(directory, "btcd");
    mkdirSync(btcdDir);
    const [btcdRpc, btcdP2p] = [await freePort(), await freePort()];
    const rpcCert = join(btcdDir, "rpc.cert");
    const btcdArgs = [
      "--regtest",
      `--datadir=${join(btcdDir, "data")}`,
      `--logdir=${join(btcdDir, "log")}`,
      `--rpccert=${rpcCert}`,
      `--rpckey=${join(btcdDir, "rpc.key")}`,
      `--rpcuser=${rpcUser}`,
      `--rpcpass=${rpcPass}`,
      `--rpclisten=127.0.0.1:${btcdRpc}`,
      `--listen=127.0.0.1:${btcdP2p}`,
      "--txindex",
      "--nodnsseed",
      "--debuglevel=info",
    ];
    const btcctl = (...args: string[]) =>
      run(binaries.btcctl, [
        "--regtest",
        `--rpcserver=127.0.0.1:${btcdRpc}`,
        `--rpcuser=${rpcUser}`,
        `--rpcpass=${rpcPass}`,
        `--rpccert=${rpcCert}`,
        ...args,
      ]);
    const startBtcd = async (miningAddresses: string[]) => {
      const btcd = startProcess(
        "btcd",
        binaries.btcd,
        [...btcdArgs, ...miningAddresses.map((address) => `--miningaddr=${address}`)],
        join(btcdDir, "btcd.out"),
      );
      processes.set("btcd", btcd);
      await waitFor("btcd RPC", async () => ((await btcctl("getblockcount")) ? true : undefined), 60_000);
    };
    await startBtcd([]);
    step("btcd up");

    const ports = new Map<LndNodeName, { rpc: number; p2p: number }>();
    for (const name of names) ports.set(name, { rpc: await freePort(), p2p: await freePort() });
    const lndArgs = (name: LndNodeName) => {
      const nodePorts = ports.get(name) as { rpc: number; p2p: number };
      return [
        `--lnddir=${join(directory, name)}`,
        `--alias=${name}`,
        "--noseedbackup",
        "--nobootstrap",
        "--norest",
        "--bitcoin.regtest",
        "--bitcoin.node=btcd",
        `--btcd.rpchost=127.0.0.1:${btcdRpc}`,
        `--btcd.rpcuser=${rpcUser}`,
        `--btcd.rpcpass=${rpcPass}`,
        `--btcd.rpccert=${rpcCert}`,
        `--rpclisten=127.0.0.1:${nodePorts.rpc}`,
        `--listen=127.0.0.1:${nodePorts.p2p}`,
        "--trickledelay=50",
        "--bitcoin.defaultchanconfs=1",
        `--bitcoin.basefee=${bobFee.baseMsat}`,
        `--bitcoin.feerate=${bobFee.ratePpm}`,
        "--debuglevel=info",
      ];
    };
    const macaroonDir = (name: LndNodeName) => join(directory, name, "data/chain/bitcoin/regtest");
    const connect = (name: LndNodeName): AuthenticatedLnd =>
      authenticatedLndGrpc({
        socket: `127.0.0.1:${ports.get(name)?.rpc}`,
        cert: readFileSync(join(directory, name, "tls.cert")).toString("base64"),
        macaroon: readFileSync(join(macaroonDir(name), "admin.macaroon")).toString("hex"),
      }).lnd;
    const clients = new Map<LndNodeName, AuthenticatedLnd>();
    const startLnd = async (name: LndNodeName) => {
      processes.set(name, startProcess(name, binaries.lnd, lndArgs(name), join(directory, `${name}.out`)));
      const info = await waitFor(
        `${name} to answer`,
        async () => {
          const lnd = connect(name);
          const result = await getWalletInfo({ lnd });
          clients.set(name, lnd);
          return result;
        },
        120_000,
        500,
      );
      return info.public_key;
    };
    const publicKeys = new Map<LndNodeName, string>();
    await Promise.all(
      names.map(async (name) => {
        mkdirSync(join(directory, name));
        publicKeys.set(name, await startLnd(name));
      }),
    );
    step("lnd nodes up");
    const client = (name: LndNodeName) => clients.get(name) as AuthenticatedLnd;

    const addresses = await Promise.all(
      (["alice", "bob"] as const).map(
        async (name) => (await createChainAddress({ lnd: client(name), format: "p2wpkh" })).address,
      ),
    );
    // Restart btcd with the mining addresses while no lnd is connected (an lnd whose backend
    // restarts under it mid-start-up can stay "not synced"), mine, then start the nodes again.
    await Promise.all(names.map((name) => (processes.get(name) as ManagedProcess).stop()));
    await (processes.get("btcd") as ManagedProcess).stop();
    await startBtcd(addresses);
    // Segwit activates on btcd regtest after 3 windows of 144 blocks; then coinbase maturity (100).
    await btcctl("generate", "500");
    step("mined 500 blocks");
    await Promise.all(names.map((name) => startLnd(name)));
    step("lnd nodes restarted");
    const synced = async (name: LndNodeName, height: number) => {
      const info = await getWalletInfo({ lnd: client(name) });
      return info.is_synced_to_chain && info.current_block_height >= height ? true : undefined;
    };
    const height = async () => Number((await btcctl("getblockcount")).trim());
    const waitSynced = async () => {
      const target = await height();
      await Promise.all(names.map((name) => waitFor(`${name} synced`, () => synced(name, target), 120_000)));
    };
    await waitSynced();
    for (const name of ["alice", "bob"] as const) {
      await waitFor(
        `${name} funds`,
        async () =>
          (await getChainBalance({ lnd: client(name) })).chain_balance > 10_000_000 ? true : undefined,
        60_000,
      );
    }
    step("alice and bob funded");

    const peer = (name: LndNodeName) => ({
      public_key: publicKeys.get(name) as string,
      socket: `127.0.0.1:${ports.get(name)?.p2p}`,
    });
    await addPeer({ lnd: client("alice"), ...peer("bob") });
    await addPeer({ lnd: client("bob"), ...peer("carol") });
    await openChannel({
      lnd: client("alice"),
      partner_public_key: peer("bob").public_key,
      local_tokens: 5_000_000,
      give_tokens: 1_000_000,
    });
    await openChannel({
      lnd: client("bob"),
      partner_public_key: peer("carol").public_key,
      local_tokens: 5_000_000,
    });
    // Six confirmations make the channels announceable; alice then learns bob→carol by gossip.
    await btcctl("generate", "6");
    await waitSynced();
    for (const name of ["alice", "bob"] as const) {
      await waitFor(
        `${name}'s channels active`,
        async () => {
          const { channels } = await getChannels({ lnd: client(name), is_active: true });
          return channels.length >= (name === "bob" ? 2 : 1) ? true : undefined;
        },
        120_000,
      );
    }
    await waitFor(
      "a route alice→bob→carol",
      async () => {
        const { route } = await getRouteToDestination({
          lnd: client("alice"),
          destination: peer("carol").public_key,
          tokens: 1_000,
        });
        return route ? true : undefined;
      },
      120_000,
      500,
    );
    step("channels open, announced and routable");

    const node = (name: LndNodeName): LndRegtestNode => ({
      name,
      socket: `127.0.0.1:${ports.get(name)?.rpc}`,
      certPath: join(directory, name, "tls.cert"),
      adminMacaroonPath: join(macaroonDir(name), "admin.macaroon"),
      invoiceMacaroonPath: join(macaroonDir(name), "invoice.macaroon"),
      readonlyMacaroonPath: join(macaroonDir(name), "readonly.macaroon"),
      publicKey: publicKeys.get(name) as string,
      get lnd() {
        return client(name);
      },
    });
    return {
      directory,
      nodes: { alice: node("alice"), bob: node("bob"), carol: node("carol") },
      bobFee,
      async mineBlocks(count) {
        await btcctl("generate", String(count));
      },
      async restartNode(name) {
        await (processes.get(name) as ManagedProcess).stop();
        await startLnd(name);
        await waitFor(`${name} synced`, () => synced(name, 0), 120_000);
      },
      async waitForActiveChannel(name, publicKey) {
        await waitFor(
          `${name}'s channel with ${publicKey.slice(0, 8)}… active`,
          async () => {
            const { channels } = await getChannels({ lnd: client(name), is_active: true });
            return channels.some((channel) => channel.partner_public_key === publicKey) ? true : undefined;
          },
          120_000,
        );
      },
      async stop() {
        await stopAll();
        rmSync(directory, { recursive: true, force: true });
      },
    };
  } catch (error) {
    const logs = [...processes.values()].map((managed) => managed.logPath);
    await stopAll();
    if (process.env.PEERPAY_KEEP_LND_REGTEST !== "1") rmSync(directory, { recursive: true, force: true });
    throw new Error(
      `regtest start-up failed: ${error instanceof Error ? error.message : JSON.stringify(error)}` +
        (process.env.PEERPAY_KEEP_LND_REGTEST === "1" ? ` (logs: ${logs.join(", ")})` : ""),
      { cause: error },
    );
  }
}
