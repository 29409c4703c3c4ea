import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import { apiErrors } from '../../contract/api-errors.js';
import type { Store } from '../../storage/store.js';
import { SnapshotError } from '../../storage/snapshot.js';
import type { FaultRules } from '../emulator/fault-rules.js';
import { fromThisMachine, sameMachine, sameOrigin } from '../request-origin.js';

/** Emulator mode (`serve --faults`): what its /_emulator routes work with. */
export interface EmulatorOptions {
  readonly faults: FaultRules;
  /** The folder named snapshots are kept in (POST /_emulator/snapshot and /load). */
  readonly snapshots: string;
  /** Loads the demo data into the emptied store (POST /_emulator/reset {"demo": true}). */
  readonly demo: (store: Store) => Promise<unknown>;
}

const SNAPSHOT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
const SUFFIX = '.snapshot';

/** The body as a JSON object; an empty body is `{}`. */
function jsonBody(req: FastifyRequest): Record<string, unknown> {
  const text = typeof req.body === 'string' ? req.body.trim() : '';
  if (text === '') return {};
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw apiErrors.invalidBody('The body is not valid JSON.');
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw apiErrors.invalidBody('The body must be a JSON object.');
  }
  return body as Record<string, unknown>;
}

function snapshotFile(options: EmulatorOptions, body: Record<string, unknown>): { name: string; file: string } {
  const name = body.name;
  if (typeof name !== 'string' || !SNAPSHOT_NAME.test(name)) {
    throw apiErrors.invalidBody(
      'The body must name the snapshot: {"name": "before-tests"} (letters, digits, ".", "_", "-"; at most 100).',
    );
  }
  return { name, file: path.join(options.snapshots, `${name}${SUFFIX}`) };
}

/**
 * The routes take no token, so a browser must not be made to call them: a page of another site
 * (its Origin), or one reaching 127.0.0.1 through a name of its own (DNS rebinding: a loopback
 * peer with a Host that is not this machine), could otherwise wipe the data or inject faults.
 * curl, test runners and SDKs send no Origin.
 */
const notFromAnotherSite: onRequestHookHandler = (req, _reply, done) => {
  const { host, origin } = req.headers;
  const ok = fromThisMachine(req) ? sameMachine(host, origin) : sameOrigin(host, origin);
  done(ok ? undefined : apiErrors.emulatorCrossSite());
};
const guarded = { onRequest: notFromAnotherSite };

const json = (reply: FastifyReply, status: number, body: unknown): FastifyReply =>
  reply
    .code(status)
    .type('application/json; charset=utf-8')
    .header('Cache-Control', 'no-store')
    .send(JSON.stringify(body));

/**
 * The emulator's own routes, as LocalStack's /_localstack and Azurite's debug switches: fault
 * rules, and the state a test starts from (reset, named snapshots). No token: emulator mode
 * listens on this machine only unless told otherwise (serve --faults-anywhere).
 */
export function emulatorRoutes(app: FastifyInstance, store: Store, options: EmulatorOptions): void {
  const { faults } = options;
  app.get('/_emulator/faults', guarded, async (_req, reply) => {
    const items = faults.list();
    return json(reply, 200, { totalCount: items.length, items });
  });
  app.post('/_emulator/faults', guarded, async (req, reply) => json(reply, 201, faults.add(jsonBody(req))));
  app.delete('/_emulator/faults', guarded, async (_req, reply) => {
    faults.remove();
    return reply.code(204).send();
  });
  app.delete<{ Params: { id: string } }>('/_emulator/faults/:id', guarded, async (req, reply) => {
    if (!faults.remove(req.params.id)) throw apiErrors.routeNotFound();
    return reply.code(204).send();
  });

  app.post('/_emulator/reset', guarded, async (req, reply) => {
    const body = jsonBody(req);
    if (body.demo !== undefined && typeof body.demo !== 'boolean') {
      throw apiErrors.invalidBody('"demo" is true (back to the demo data) or false (empty).');
    }
    await store.clear();
    if (body.demo === true) await options.demo(store);
    return json(reply, 200, { demo: body.demo === true, partners: (await store.partners()).length });
  });
  app.get('/_emulator/snapshots', guarded, async (_req, reply) => {
    const names = fs.existsSync(options.snapshots)
      ? fs
          .readdirSync(options.snapshots)
          .filter((f) => f.endsWith(SUFFIX))
          .map((f) => f.slice(0, -SUFFIX.length))
          .sort()
      : [];
    return json(reply, 200, { totalCount: names.length, items: names.map((name) => ({ name })) });
  });
  app.post('/_emulator/snapshot', guarded, async (req, reply) => {
    const { name, file } = snapshotFile(options, jsonBody(req));
    fs.mkdirSync(options.snapshots, { recursive: true });
    return json(reply, 201, { name, ...(await store.saveSnapshot(file)) });
  });
  app.post('/_emulator/load', guarded, async (req, reply) => {
    const { name, file } = snapshotFile(options, jsonBody(req));
    if (!fs.existsSync(file))
      throw apiErrors.invalidBody(`There is no snapshot ${name}: GET /_emulator/snapshots lists them.`);
    try {
      return json(reply, 200, { name, ...(await store.loadSnapshot(file)) });
    } catch (error) {
      if (error instanceof SnapshotError) throw apiErrors.invalidBody(error.message);
      throw error;
    }
  });
}
