/**
 * Progress for long jobs, reusable by every domain: a bar with rate and ETA on a terminal, plain
 * log lines otherwise (CI logs, pipes), at most every `logEvery` fraction or `logSeconds`.
 *
 * ```ts
 * const p = progress({ label: 'simulate', total: steps });
 * for (let t = start; t < steps; t++) { step(); p.update(t + 1, `E=${e.toFixed(3)}`); }
 * p.done();
 * // TTY:  simulate [##########----------]  50%  500/1000  812.4/s  ETA 0:01  E=-1.234
 * // else: simulate 500/1000 (50%) 812.4/s ETA 0:01 E=-1.234
 * ```
 */

export interface ProgressOptions {
  readonly label: string;
  readonly total: number;
  /** Where to write (default process.stderr). */
  readonly stream?: { write(s: string): unknown; isTTY?: boolean; columns?: number };
  /** Force bar (true) or log-line (false) mode; default: the stream's isTTY. */
  readonly tty?: boolean;
  /** Plain mode: log when progress advanced by this fraction (default 0.1)… */
  readonly logEvery?: number;
  /** …or this many seconds passed (default 30). */
  readonly logSeconds?: number;
  /** Counter to start from (a resumed job), excluded from the rate. */
  readonly start?: number;
  /** Clock in ms (tests). */
  readonly now?: () => number;
}

export interface Progress {
  /** Sets the count done (absolute) with an optional short status text. */
  update(done: number, status?: string): void;
  /** Adds `n` (default 1) to the count. */
  tick(n?: number, status?: string): void;
  /** Final line (always printed). */
  done(status?: string): void;
}

/** `m:ss` or `h:mm:ss`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

export function progress(o: ProgressOptions): Progress {
  const stream = o.stream ?? process.stderr;
  const tty = o.tty ?? !!stream.isTTY;
  const now = o.now ?? (() => performance.now());
  const t0 = now();
  const start = o.start ?? 0;
  let count = start;
  let lastDraw = -Infinity;
  let lastLogT = t0;
  let lastLogFrac = o.total > 0 ? start / o.total : 0;
  const every = o.logEvery ?? 0.1;
  const secs = o.logSeconds ?? 30;

  const stats = () => {
    const el = (now() - t0) / 1000;
    const rate = el > 0 ? (count - start) / el : 0;
    const eta = rate > 0 ? (o.total - count) / rate : NaN;
    const frac = o.total > 0 ? Math.min(1, count / o.total) : 1;
    return { el, rate, eta, frac };
  };
  const rateText = (r: number) => (r >= 100 ? r.toFixed(0) : r >= 1 ? r.toFixed(1) : r.toFixed(3));

  const draw = (status: string, final: boolean) => {
    const { el, rate, eta, frac } = stats();
    const pct = `${Math.floor(frac * 100)}%`.padStart(4);
    if (tty) {
      const width = 20;
      const fill = Math.round(frac * width);
      const time = final ? `in ${formatDuration(el)}` : `ETA ${formatDuration(eta)}`;
      let line = `${o.label} [${'#'.repeat(fill)}${'-'.repeat(width - fill)}] ${pct}  ${count}/${o.total}  ${rateText(rate)}/s  ${time}${status ? '  ' + status : ''}`;
      const cols = stream.columns ?? 120;
      if (line.length > cols - 1) line = line.slice(0, cols - 1);
      stream.write(`\r\x1b[2K${line}${final ? '\n' : ''}`);
    } else {
      const time = final ? `done in ${formatDuration(el)}` : `ETA ${formatDuration(eta)}`;
      stream.write(`${o.label} ${count}/${o.total} (${pct.trim()}) ${rateText(rate)}/s ${time}${status ? ' ' + status : ''}\n`);
    }
  };

  const update = (done: number, status = '') => {
    count = done;
    const t = now();
    if (tty) {
      if (t - lastDraw >= 100) {
        lastDraw = t;
        draw(status, false);
      }
    } else {
      const frac = o.total > 0 ? count / o.total : 1;
      if (frac - lastLogFrac >= every - 1e-12 || (t - lastLogT) / 1000 >= secs) {
        lastLogFrac = frac;
        lastLogT = t;
        if (count < o.total) draw(status, false);
      }
    }
  };
  return {
    update,
    tick: (n = 1, status) => update(count + n, status),
    done: (status = '') => draw(status, true),
  };
}
