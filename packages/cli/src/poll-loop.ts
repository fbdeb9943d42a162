/**
 * A poll loop that never overlaps itself: the next run starts `intervalMs` after the previous one
 * ended. Failures are logged and counted; the loop keeps going (the last decisions stay in force).
 */
import type { ServiceLogger } from "./service-logger.js";

export interface PollLoopOptions {
  readonly name: string;
  readonly intervalMs: number;
  readonly run: () => Promise<void>;
  readonly logger: ServiceLogger;
}

export interface PollLoop {
  start(): void;
  stop(): Promise<void>;
  stats(): { polls: number; pollErrors: number; lastPollMs: number | undefined; lastError?: string };
}

export function createPollLoop(options: PollLoopOptions): PollLoop {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = true;
  let polls = 0;
  let pollErrors = 0;
  let lastPollMs: number | undefined;
  let lastError: string | undefined;

  const tick = () => {
    timer = undefined;
    if (stopped) return;
    const started = performance.now();
    running = options
      .run()
      .then(() => {
        lastError = undefined;
      })
      .catch((error: unknown) => {
        pollErrors++;
        lastError = error instanceof Error ? error.message : String(error);
        options.logger.warn({ err: error, loop: options.name }, "poll failed; keeping the last decisions");
      })
      .finally(() => {
        polls++;
        lastPollMs = performance.now() - started;
        running = undefined;
        if (!stopped) timer = setTimeout(tick, options.intervalMs);
      });
  };

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      tick();
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      await running;
    },
    stats: () => ({ polls, pollErrors, lastPollMs, ...(lastError ? { lastError } : {}) }),
  };
}
