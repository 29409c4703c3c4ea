import { useEffect, useState } from 'preact/hooks';
import { describe } from './api.js';

export type Load<T> = { state: 'loading' } | { state: 'error'; message: string } | { state: 'ok'; value: T };

/** Loads when `deps` change; a late answer to an older request is dropped. `reload` asks again. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): [Load<T>, () => void] {
  const [result, setResult] = useState<Load<T>>({ state: 'loading' });
  const [round, setRound] = useState(0);
  useEffect(() => {
    let current = true;
    setResult((r) => (r.state === 'ok' ? r : { state: 'loading' }));
    load().then(
      (value) => current && setResult({ state: 'ok', value }),
      (error: unknown) => current && setResult({ state: 'error', message: describe(error) }),
    );
    return () => {
      current = false;
    };
  }, [...deps, round]);
  return [result, () => setRound((n) => n + 1)];
}
