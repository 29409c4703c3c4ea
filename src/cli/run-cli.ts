import { defineCommand, runCommand, runMain, showUsage } from 'citty';
import { ArchivedPeriodError } from '../storage/archived-periods.js';
import { describeStorageFailure } from '../storage/storage-failure.js';
import { CliError, EXIT } from './cli-error.js';
import { CredentialError } from '../sync/credential-vault.js';

/** The CLI's commands, each loaded when it is run. */
const main = defineCommand({
  meta: {
    name: 'partner-usage',
    description: "A self-hostable implementation of Partner Center's Azure usage-records API",
  },
  subCommands: {
    import: () => import('./commands/import.js').then((m) => m.importCommand),
    customers: () => import('./commands/customers.js').then((m) => m.customersCommand),
    meters: () => import('./commands/meters.js').then((m) => m.metersCommand),
    summary: () => import('./commands/summary.js').then((m) => m.summaryCommand),
    subscriptions: () => import('./commands/subscriptions.js').then((m) => m.subscriptionsCommand),
    resources: () => import('./commands/resources.js').then((m) => m.resourcesCommand),
    daily: () => import('./commands/daily.js').then((m) => m.dailyCommand),
    utilization: () => import('./commands/utilization.js').then((m) => m.utilizationCommand),
    budget: () => import('./commands/budget.js').then((m) => m.budgetCommand),
    alerts: () => import('./commands/alerts.js').then((m) => m.alertsCommand),
    webhooks: () => import('./commands/webhooks.js').then((m) => m.webhooksCommand),
    deliver: () => import('./commands/deliver.js').then((m) => m.deliverCommand),
    audit: () => import('./commands/audit.js').then((m) => m.auditCommand),
    serve: () => import('./commands/serve.js').then((m) => m.serveCommand),
    token: () => import('./commands/token.js').then((m) => m.tokenCommand),
    sync: () => import('./commands/sync.js').then((m) => m.syncCommand),
    export: () => import('./commands/export.js').then((m) => m.exportCommand),
    credentials: () => import('./commands/credentials.js').then((m) => m.credentialsCommand),
    prices: () => import('./commands/prices.js').then((m) => m.pricesCommand),
    access: () => import('./commands/access.js').then((m) => m.accessCommand),
    margins: () => import('./commands/margins.js').then((m) => m.marginsCommand),
    statement: () => import('./commands/statement.js').then((m) => m.statementCommand),
    snapshot: () => import('./commands/snapshot.js').then((m) => m.snapshotCommand),
    archive: () => import('./commands/archive.js').then((m) => m.archiveCommand),
  },
});

/**
 * Runs one CLI command line in this process; the exit code it ends with. Known failures are one
 * clear line on stderr, not a stack trace; a usage mistake also shows the usage. bin/ and main.ts
 * run it for a user; tests run it in their own process where a process of its own adds nothing.
 */
export async function runCli(rawArgs: readonly string[]): Promise<number> {
  try {
    if (rawArgs.some((a) => a === '--help' || a === '-h' || a === '--version'))
      await runMain(main, { rawArgs: [...rawArgs] });
    else await runCommand(main, { rawArgs: [...rawArgs] });
    return 0;
  } catch (error) {
    if (error instanceof CliError) {
      console.error(`partner-usage: ${error.message}`);
      return error.exitCode;
    }
    if (error instanceof Error && error.name === 'CLIError') {
      await showUsage(main);
      console.error(`partner-usage: ${error.message}`);
      return EXIT.usage;
    }
    if (error instanceof ArchivedPeriodError) {
      console.error(`partner-usage: ${error.message}`);
      return EXIT.refused;
    }
    if (error instanceof CredentialError) {
      // The wrong PARTNER_USAGE_CREDENTIALS_KEY, or a stored secret altered: what is stored cannot be used.
      console.error(`partner-usage: ${error.message}`);
      return EXIT.database;
    }
    const storage = describeStorageFailure(error);
    if (storage) {
      console.error(`partner-usage: ${storage}; the database is as it was before`);
      return EXIT.database;
    }
    console.error(error);
    return 1;
  }
}
