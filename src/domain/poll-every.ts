/**
 * Runs `task` now-ish and again `intervalMs` after each run ends — never two at once — until
 * stopped; stop() waits for a run under way. A failure is reported through `onError` and the
 * next run still comes (a background task must outlive one bad pass).
 */
export function pollEvery(
  task: () => Promise<unknown>,
  intervalMs: number,
  onError: (error: unknown) => void,
  firstDelayMs = 0,
): { stop: () => Promise<void> } {
  let stopped = false;
  let running: Promise<unknown> = Promise.resolve();
  const tick = () => {
    if (stopped) return;
    running = task()
      .catch(onError)
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, intervalMs);
      });
  };
  let timer = setTimeout(tick, firstDelayMs);
  return {
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
