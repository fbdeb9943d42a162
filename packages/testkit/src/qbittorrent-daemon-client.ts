/**
 * A deliberately small WebUI API v2 client for tests that drive a test qBittorrent directly (add a
 * torrent, read what a downloader received, play the user editing the ban list). It logs in once
 * and never retries a failed login (five failures ban the caller's IP for an hour). Not the
 * bridge: the bridge lives in @peerpay/bridge-qbittorrent.
 */

export interface QbittorrentTestClientOptions {
  readonly baseUrl: string;
  readonly username: string;
  readonly password: string;
  /** Per-request timeout, default 10 s. */
  readonly timeoutMs?: number;
}

export interface QbittorrentTestRequest {
  readonly method?: "GET" | "POST";
  readonly query?: Record<string, string>;
  readonly form?: Record<string, string>;
  readonly body?: FormData;
}

export interface QbittorrentTestTorrent {
  readonly hash: string;
  readonly name: string;
  readonly state: string;
  readonly progress: number;
  readonly downloaded: number;
  readonly uploaded: number;
  readonly total_size: number;
  readonly category: string;
  readonly tags: string;
  readonly [key: string]: unknown;
}

export interface QbittorrentTestPeer {
  readonly ip: string;
  readonly port: number;
  readonly client: string;
  readonly uploaded: number;
  readonly downloaded: number;
  readonly up_speed: number;
  readonly dl_speed: number;
  readonly connection: string;
  readonly [key: string]: unknown;
}

export interface QbittorrentTestClient {
  request(path: string, request?: QbittorrentTestRequest): Promise<string>;
  /** Adds a .torrent (raw bytes); `savePath` defaults to the daemon's download dir. */
  addTorrent(
    torrentFile: Uint8Array,
    options?: { savePath?: string; paused?: boolean; category?: string; tags?: readonly string[] },
  ): Promise<void>;
  getTorrent(infohash: string): Promise<QbittorrentTestTorrent | undefined>;
  /** Peers keyed "ip:port", a full snapshot (no rid). */
  listPeers(infohash: string): Promise<Record<string, QbittorrentTestPeer>>;
  addPeers(infohash: string, endpoints: readonly string[]): Promise<void>;
  getBannedIps(): Promise<string[]>;
  /** Replaces the whole list (newline-separated, as qBittorrent requires). */
  setBannedIps(addresses: readonly string[]): Promise<void>;
  setPreferences(preferences: Record<string, unknown>): Promise<void>;
}

export function createQbittorrentTestClient(options: QbittorrentTestClientOptions): QbittorrentTestClient {
  const base = options.baseUrl.endsWith("/") ? options.baseUrl : `${options.baseUrl}/`;
  const timeoutMs = options.timeoutMs ?? 10_000;
  let cookie: string | undefined;
  let loginFailed = false;

  const login = async (): Promise<string> => {
    if (cookie) return cookie;
    if (loginFailed) throw new Error("qBittorrent test client: login already failed once; not retrying");
    const response = await fetch(`${base}api/v2/auth/login`, {
      method: "POST",
      body: new URLSearchParams({ username: options.username, password: options.password }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    const setCookie = response.headers.get("set-cookie") ?? "";
    const match = /^\s*([^=;\s]+)=([^;]*)/.exec(setCookie);
    if (!response.ok || !match || (text !== "Ok." && response.status !== 204)) {
      loginFailed = true;
      throw new Error(`qBittorrent test client: login failed (HTTP ${response.status} ${text.slice(0, 80)})`);
    }
    cookie = `${match[1]}=${match[2]}`;
    return cookie;
  };

  const request = async (path: string, request: QbittorrentTestRequest = {}): Promise<string> => {
    const session = await login();
    const url = new URL(`api/v2/${path.replace(/^\//, "")}`, base);
    for (const [key, value] of Object.entries(request.query ?? {})) url.searchParams.set(key, value);
    const body = request.body ?? (request.form ? new URLSearchParams(request.form) : undefined);
    const response = await fetch(url, {
      method: request.method ?? (body ? "POST" : "GET"),
      headers: { Cookie: session },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`qBittorrent ${path}: HTTP ${response.status} ${text.slice(0, 200)}`);
    return text;
  };

  return {
    request,
    async addTorrent(torrentFile, addOptions = {}) {
      const form = new FormData();
      form.append("torrents", new Blob([torrentFile]), "upload.torrent");
      if (addOptions.savePath) form.append("savepath", addOptions.savePath);
      // 5.x (WebAPI 2.11+) renamed the field to "stopped"; each version ignores the other's.
      if (addOptions.paused) {
        form.append("paused", "true");
        form.append("stopped", "true");
      }
      if (addOptions.category) form.append("category", addOptions.category);
      if (addOptions.tags?.length) form.append("tags", addOptions.tags.join(","));
      const text = await request("torrents/add", { method: "POST", body: form });
      if (text.trim() !== "Ok.") throw new Error(`qBittorrent torrents/add answered "${text.slice(0, 80)}"`);
    },
    async getTorrent(infohash) {
      const list = JSON.parse(
        await request("torrents/info", { query: { hashes: infohash.toLowerCase() } }),
      ) as QbittorrentTestTorrent[];
      return list[0];
    },
    async listPeers(infohash) {
      const text = await request("sync/torrentPeers", { query: { hash: infohash.toLowerCase() } });
      return ((JSON.parse(text) as { peers?: Record<string, QbittorrentTestPeer> }).peers ?? {}) as Record<
        string,
        QbittorrentTestPeer
      >;
    },
    async addPeers(infohash, endpoints) {
      await request("torrents/addPeers", {
        form: { hashes: infohash.toLowerCase(), peers: endpoints.join("|") },
      });
    },
    async getBannedIps() {
      const preferences = JSON.parse(await request("app/preferences")) as { banned_IPs?: string };
      return (preferences.banned_IPs ?? "")
        .split("\n")
        .map((line) => line.trim())
        .filter((line) => line.length > 0);
    },
    async setBannedIps(addresses) {
      await request("app/setPreferences", {
        form: { json: JSON.stringify({ banned_IPs: addresses.join("\n") }) },
      });
    },
    async setPreferences(preferences) {
      await request("app/setPreferences", { form: { json: JSON.stringify(preferences) } });
    },
  };
}
