import { defineCommand } from 'citty';
import { DeliveryWorker, deliveryOptionsFromEnv } from '../../alerts/delivery-worker.js';
import { CliError, EXIT } from '../cli-error.js';
import { dbArg, withStore } from '../shared-args.js';

export const deliverCommand = defineCommand({
  meta: {
    name: 'deliver',
    description: 'Send queued alerts (webhooks, e-mail); serve does this itself, --once suits cron',
  },
  args: {
    once: { type: 'boolean', description: 'send what is due now, then exit' },
    ...dbArg,
  },
  async run({ args }) {
    if (!args.once) throw new CliError('deliver runs with --once (serve sends continuously)', EXIT.usage);
    let options;
    try {
      options = deliveryOptionsFromEnv();
    } catch (error) {
      throw new CliError((error as Error).message, EXIT.usage);
    }
    await withStore(args.db, async (store) => {
      const worker = new DeliveryWorker(store, options);
      try {
        const attempts = await worker.runOnce();
        console.log(`${attempts} delivery attempt${attempts === 1 ? '' : 's'} made`);
      } finally {
        worker.close();
      }
    });
  },
});
