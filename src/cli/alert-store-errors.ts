import { NotFound } from '../storage/alert-store.js';
import type { Store } from '../storage/store.js';
import { CliError, EXIT } from './cli-error.js';
import { choosePartner, withStore } from './shared-args.js';

/** Runs `fn` on the store and the chosen partner; the alert store's refusals as one-line CLI errors. */
export async function withPartner<T>(
  args: { db?: string | undefined; partner?: string | undefined },
  fn: (store: Store, partner: string) => Promise<T>,
): Promise<T> {
  return withStore(args.db, async (store) => {
    const partner = await choosePartner(store, args.partner);
    try {
      return await fn(store, partner);
    } catch (error) {
      if (error instanceof NotFound) throw new CliError(error.message);
      if (error instanceof RangeError) throw new CliError(error.message, EXIT.usage);
      throw error;
    }
  });
}
