import cliProgress from 'cli-progress';
import type { ImportProgress } from '../ingest/importer.js';

/** A progress bar (lines, MB/s, ETA) on a terminal; nothing otherwise. */
export function importProgressBar(file: string): { update: (p: ImportProgress) => void; stop: () => void } {
  if (!process.stderr.isTTY) return { update: () => {}, stop: () => {} };
  const started = performance.now();
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: `${file} [{bar}] {percentage}% | {lines} lines | {rate} MB/s | ETA {eta_formatted}`,
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let begun = false;
  return {
    update(p) {
      const seconds = (performance.now() - started) / 1000;
      const payload = {
        lines: p.lines.toLocaleString('en-US'),
        rate: (p.bytesRead / 1e6 / Math.max(seconds, 1e-3)).toFixed(1),
      };
      if (!begun) {
        bar.start(p.bytesTotal, p.bytesRead, payload);
        begun = true;
      } else bar.update(p.bytesRead, payload);
    },
    stop() {
      if (begun) bar.stop();
    },
  };
}
