// /healthz: healthy while the device is open and nothing was lost lately.
import type { Loss } from './tally.js';

/** How long a loss keeps the daemon unhealthy. */
export const LOSS_WINDOW_MS = 10_000;

export interface Health {
  ok: boolean;
  /** one line: "ok", or why not */
  reason: string;
}

export function healthOf(deviceOpen: boolean, lastLoss: Loss | null, now: number): Health {
  if (!deviceOpen) return { ok: false, reason: 'the device is not open' };
  if (lastLoss !== null && now - lastLoss.at < LOSS_WINDOW_MS) {
    const ago = ((now - lastLoss.at) / 1000).toFixed(1);
    const config = lastLoss.config ? ` (${lastLoss.config} of them configuration records)` : '';
    return { ok: false, reason: `lost ${lastLoss.count} records${config} ${ago} s ago: the ring overwrote them before the daemon read them` };
  }
  return { ok: true, reason: 'ok' };
}
