import fs from 'node:fs';
import net from 'node:net';
import { createSecureContext } from 'node:tls';
import path from 'node:path';
import { defineCommand } from 'citty';
import { DeliveryWorker, deliveryOptionsFromEnv } from '../../alerts/delivery-worker.js';
import { PriceBasesWarmer } from '../../pricing/price-bases-warmer.js';
import { DEMO_PARTNER, loadDemoData } from '../../demo/demo-data.js';
import { issueLocalToken } from '../../server/auth/issue-token.js';
import { createServer } from '../../server/create-server.js';
import { authSettingsFromEnv, createServerAuth } from '../../server/server-auth.js';
import { displayLocation, resolveDatabase } from '../../storage/open-store.js';
import { exportSettingsFromEnv } from '../../server/graph/export-settings.js';
import { rateLimitsFromEnv } from '../../server/rate-limits.js';
import { credentialsKey } from '../../sync/credential-vault.js';
import { startSyncSchedule, validateCronExpression } from '../../sync/sync-schedule.js';
import { CliError, EXIT } from '../cli-error.js';
import { cloudArg, cloudOf, dbArg, openDatabase } from '../shared-args.js';

export const DEFAULT_PORT = 8787;
export const DEFAULT_HOST = '127.0.0.1';

export const serveCommand = defineCommand({
  meta: { name: 'serve', description: "Serve Partner Center's usage routes (loads demo data into an empty database)" },
  args: {
    port: {
      type: 'string',
      description: `port (default PORT, else ${DEFAULT_PORT}; 0 picks a free one)`,
      valueHint: 'n',
    },
    host: {
      type: 'string',
      description: `address to listen on (default HOST, else ${DEFAULT_HOST})`,
      valueHint: 'address',
    },
    ...dbArg,
    ...cloudArg,
    demo: { type: 'boolean', description: 'load demo data into an empty database', default: true },
    faults: {
      type: 'boolean',
      description:
        'emulator mode: fault rules, reset and snapshots under /_emulator (default PARTNER_USAGE_FAULTS=1; this machine only)',
    },
    emulator: { type: 'boolean', description: 'the same as --faults' },
    'faults-anywhere': {
      type: 'boolean',
      description: 'allow emulator mode on an address other than loopback (anyone who reaches it can fail or erase it)',
    },
    'rate-limit': {
      type: 'boolean',
      description:
        'answer 429 with Retry-After when a partner, or a partner about one customer, spends its request budget (PARTNER_USAGE_RATE_LIMITS sets them; default partner=600/60,customer=120/60)',
    },
    cert: { type: 'string', description: 'serve HTTPS with this certificate (PEM; with --key)', valueHint: 'pem' },
    key: { type: 'string', description: "the certificate's private key (PEM)", valueHint: 'pem' },
    'in-memory': {
      type: 'boolean',
      description: 'a throwaway database in memory (with demo data unless --no-demo); nothing is written to disk',
    },
    'sync-schedule': {
      type: 'string',
      description:
        'a cron expression (UTC): sync the current period of every partner with stored credentials (default PARTNER_USAGE_SYNC_SCHEDULE, else off)',
      valueHint: 'cron',
    },
  },
  async run({ args }) {
    // PORT and HOST as hosting platforms set them; the flags win.
    const portText = args.port ?? (process.env.PORT?.trim() || undefined);
    const port = portText === undefined ? DEFAULT_PORT : /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
    if (!(port >= 0 && port <= 65535)) {
      throw new CliError(
        `${args.port === undefined ? 'PORT' : '--port'} must be a port number, got ${portText}`,
        EXIT.usage,
      );
    }
    const host = args.host ?? (process.env.HOST?.trim() || DEFAULT_HOST);
    let deliveryOptions;
    let exportSettings;
    let rateLimits;
    let authSettings;
    let syncKey: Buffer | undefined;
    const schedule = args['sync-schedule'] ?? (process.env.PARTNER_USAGE_SYNC_SCHEDULE?.trim() || undefined);
    try {
      deliveryOptions = deliveryOptionsFromEnv();
      exportSettings = exportSettingsFromEnv();
      rateLimits = args['rate-limit'] ? rateLimitsFromEnv() : undefined;
      authSettings = authSettingsFromEnv();
      if (schedule !== undefined) {
        validateCronExpression(schedule);
        syncKey = credentialsKey();
      }
    } catch (error) {
      throw new CliError((error as Error).message, EXIT.usage);
    }
    const loopback = host === 'localhost' || host === '::1' || host.startsWith('127.');
    const emulator = args.faults === true || args.emulator === true || process.env.PARTNER_USAGE_FAULTS === '1';
    if (emulator && !loopback && !args['faults-anywhere']) {
      throw new CliError(
        `emulator mode (--faults) listens on this machine only, not on ${host}: add --faults-anywhere if everyone who can reach it may fail and erase it`,
        EXIT.usage,
      );
    }
    if ((args.cert === undefined) !== (args.key === undefined)) {
      throw new CliError('HTTPS needs both --cert and --key', EXIT.usage);
    }
    let tls: { cert: Buffer; key: Buffer } | undefined;
    try {
      tls = args.cert && args.key ? { cert: fs.readFileSync(args.cert), key: fs.readFileSync(args.key) } : undefined;
      if (tls) createSecureContext(tls); // a certificate and a key that do not make a pair fail here, in one line
    } catch (error) {
      throw new CliError(`cannot read the certificate or its key: ${(error as Error).message}`, EXIT.usage);
    }
    const cloud = cloudOf(args.cloud); // the flag, else PARTNER_USAGE_CLOUD, else global
    if (args['in-memory'] && args.db !== undefined)
      throw new CliError('give --db or --in-memory, not both', EXIT.usage);
    // A port in use is found before anything is created or loaded (a demo database is 7 MB).
    await ensurePortFree(host, port);
    const database = args['in-memory'] ? ':memory:' : resolveDatabase(args.db);
    const store = await openDatabase(database);
    const auth = await createServerAuth(store, { ...authSettings, cloud });
    if (args.demo && (await store.partners()).length === 0) {
      const started = performance.now();
      const demo = await loadDemoData(store);
      console.error(
        `loaded demo data into ${displayLocation(database)}: ${demo.customers} customers, ${demo.lines.toLocaleString('en-US')} line items ` +
          `(${((performance.now() - started) / 1000).toFixed(1)} s)`,
      );
    }
    const partners = await store.partners();
    const tenant = partners.some((p) => p.tenantId === DEMO_PARTNER) ? DEMO_PARTNER : partners[0]?.tenantId;
    const app = createServer({
      store,
      // The dashboard's "Use development token": embedded mode, on this machine only.
      ...(auth.mode === 'local' && loopback && tenant
        ? {
            devToken: () =>
              issueLocalToken(auth.keys, { tenant, user: 'developer@localhost', expiresInSeconds: 12 * 3600 }),
          }
        : {}),
      verifier: auth.verifier,
      tokens: auth.tokens,
      signIn: auth.signIn,
      graph: { verifier: auth.graphVerifier, sasKey: auth.keys.hmacSecret, settings: exportSettings },
      rateLimits,
      metricsToken: process.env.PARTNER_USAGE_METRICS_TOKEN?.trim() || undefined,
      https: tls,
      ...(emulator
        ? {
            emulator: {
              snapshots: process.env.PARTNER_USAGE_SNAPSHOTS?.trim() || path.resolve('data', 'snapshots'),
              demo: loadDemoData,
            },
          }
        : {}),
      logger: { level: process.env.LOG_LEVEL ?? 'info' },
      // Two JSON lines a request were measured at half the throughput of a small response
      // (612 bytes: 4,498 req/s against 8,588 bare); access logs are opt-in.
      requestLogging: process.env.PARTNER_USAGE_REQUEST_LOG === '1',
      // Grantees' views in use are rebuilt after a change here, not in their next request.
      refreshViewsEveryMs: Number(process.env.PARTNER_USAGE_VIEWS_POLL_MS ?? 5000),
    });
    let address: string;
    try {
      address = await app.listen({ port, host });
    } catch (error) {
      await app.close();
      await store.close();
      throw listenFailure(error, host, port);
    }
    // Alerts queued by imports, budget changes and rules (in this process or any other on the
    // database) are sent from here; PARTNER_USAGE_DELIVERY_POLL_MS sets how often it looks.
    const deliveries = new DeliveryWorker(store, deliveryOptions).start(
      Number(process.env.PARTNER_USAGE_DELIVERY_POLL_MS ?? 1000),
    );
    const sync = syncKey && schedule ? startSyncSchedule(store, syncKey, schedule, app.log) : undefined;
    // The open periods' price bases, kept current after imports so that margins answer at once.
    const pricing = new PriceBasesWarmer(store).start(Number(process.env.PARTNER_USAGE_PRICING_POLL_MS ?? 5000));
    const shutdown = async (signal: string) => {
      app.log.info({ signal }, 'shutting down');
      sync?.stop();
      await deliveries.stop();
      await pricing.stop();
      await app.close();
      await store.close();
      process.exit(0);
    };
    process.once('SIGINT', (s) => void shutdown(s));
    process.once('SIGTERM', (s) => void shutdown(s));

    const lines = [
      `partner-usage is serving ${address}/v1 and the dashboard at ${address}/ (database ${displayLocation(database)})`,
    ];
    if (emulator)
      lines.push(`emulator mode: fault rules, reset and snapshots at ${address}/_emulator (README, "Emulator")`);
    if (auth.mode === 'local' && tenant && loopback) {
      const token = await issueLocalToken(auth.keys, { tenant, expiresInSeconds: 12 * 3600 });
      lines.push(
        `a token for partner ${tenant}, valid 12 h (more: npx partner-usage token --tenant ${tenant}):`,
        token,
        'try:',
        `  curl -s -H "Authorization: Bearer ${token}" ${address}/v1/customers/usagerecords?size=5`,
      );
    } else if (auth.mode === 'local' && tenant) {
      // Listening beyond this machine: a token on the console would end up in a shared log.
      lines.push(`tokens: npx partner-usage token --tenant ${tenant} (none printed when serving beyond this machine)`);
    } else if (auth.mode === 'oidc') {
      lines.push(
        'tokens are verified against the configured OpenID Connect issuer' +
          (auth.signIn ? `; the dashboard signs in with ${auth.signIn.providerName}` : ''),
      );
    }
    if (sync)
      lines.push(
        `syncing partners with stored credentials on "${schedule}" (UTC); next ${sync.next?.toISOString() ?? 'never'}`,
      );
    console.error(lines.join('\n'));
  },
});

/** Listens on the port and lets it go at once: a port in use is exit 4 before anything else happens. */
async function ensurePortFree(host: string, port: number): Promise<void> {
  if (port === 0) return;
  const probe = net.createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen({ port, host, exclusive: true }, () => resolve());
  }).catch((error: unknown) => {
    throw listenFailure(error, host, port);
  });
  await new Promise<void>((resolve) => probe.close(() => resolve()));
}

/** Why the server cannot listen, as one line (instead of Node's EADDRINUSE stack trace). */
function listenFailure(error: unknown, host: string, port: number): unknown {
  const code = (error as { code?: unknown }).code;
  const where = `${host}:${port}`;
  if (code === 'EADDRINUSE') {
    return new CliError(
      `cannot listen on ${where}: the port is already in use (another partner-usage?); stop it or choose another with --port or PORT`,
      EXIT.listen,
    );
  }
  if (code === 'EACCES') return new CliError(`cannot listen on ${where}: this user may not use that port`, EXIT.listen);
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') {
    return new CliError(`cannot listen on ${where}: no such address on this machine (--host or HOST)`, EXIT.listen);
  }
  return error;
}
