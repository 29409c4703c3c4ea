import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { apiErrors } from '../../contract/api-errors.js';

/** The statuses a rule may answer with: Partner Center's throttling and server errors, a refused SAS. */
export const FAULT_STATUSES = [403, 408, 429, 500, 502, 503, 504] as const;
export type FaultStatus = (typeof FAULT_STATUSES)[number];

const GUID = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';

/** A rule as POSTed to /_emulator/faults (README "Emulator"): what it matches, what it does, how often. */
export const FaultRuleBody = Type.Object(
  {
    operation: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    path: Type.Optional(Type.String({ minLength: 1, maxLength: 500, pattern: '^/' })),
    method: Type.Optional(Type.String({ pattern: '^[A-Za-z]{3,10}$' })),
    partner: Type.Optional(Type.String({ pattern: GUID })),
    customer: Type.Optional(Type.String({ pattern: GUID })),
    status: Type.Optional(Type.Union(FAULT_STATUSES.map((s) => Type.Literal(s)))),
    retryAfter: Type.Optional(Type.Integer({ minimum: 0, maximum: 3600 })),
    delayMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 600_000 })),
    drop: Type.Optional(Type.Boolean()),
    cutAfterBytes: Type.Optional(Type.Integer({ minimum: 0 })),
    probability: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    count: Type.Optional(Type.Integer({ minimum: 1 })),
    seed: Type.Optional(Type.Integer()),
  },
  { additionalProperties: false },
);
export type FaultRuleBody = Static<typeof FaultRuleBody>;

/** A rule kept by the server: its body, its id and how often it has fired. */
export interface FaultRule extends FaultRuleBody {
  readonly id: string;
  fired: number;
}

/** What a request is doing, as far as rules look at it. */
export interface FaultTarget {
  /** The operation id of the route it reached (the operations table's, or a Graph route's); undefined for others. */
  readonly operation: string | undefined;
  readonly method: string;
  /** The path without its query. */
  readonly path: string;
  /** The token's tenant (read, not verified: rules only choose whom to fail), lower-cased. */
  readonly partner: () => string | undefined;
  /** The customer the path names, lower-cased. */
  readonly customer: string | undefined;
}

/**
 * mulberry32: a seeded generator, so that a rule with a seed fails the same calls on every run
 * (Math.random cannot be seeded). Four lines; a library would add a dependency for them.
 */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `/v1/customers/*` → a RegExp: `*` is one path segment, `**` any number; case-insensitive like the routes. */
function pathPattern(glob: string): RegExp {
  const escaped = glob
    .replace(/\/+$/, '')
    .split(/(\*\*|\*)/)
    .map((part) => (part === '**' ? '.*' : part === '*' ? '[^/]*' : part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${escaped}/?$`, 'i');
}

interface KeptRule {
  readonly rule: FaultRule;
  readonly path: RegExp | undefined;
  readonly random: () => number;
  /** Calls it may still fail (Infinity: no count). */
  left: number;
}

/**
 * The fault rules of an emulator (`serve --faults`): added, listed and removed through
 * /_emulator/faults, consulted for every request. The first rule that matches and draws its
 * probability fires; a rule whose count is spent is kept (its `fired` still listed) but no longer
 * fires.
 */
export class FaultRules {
  readonly #rules: KeptRule[] = [];
  readonly #operations: ReadonlySet<string>;
  #next = 1;
  /** Every fault injected, by status or effect (for /metrics). */
  onFired: ((rule: FaultRule) => void) | undefined;

  /** `operations`: the ids a rule may name (the operations table's and the Graph routes'). */
  constructor(operations: Iterable<string>) {
    this.#operations = new Set(operations);
  }

  get size(): number {
    return this.#rules.length;
  }

  /** Checks a POSTed body and keeps it as a rule; a 400 with the first problem otherwise. */
  add(body: unknown): FaultRule {
    if (!Value.Check(FaultRuleBody, body)) {
      const error = Value.Errors(FaultRuleBody, body).First();
      const where = error?.path ? `${error.path.slice(1)}: ` : '';
      throw apiErrors.invalidBody(`The fault rule is not valid: ${where}${error?.message ?? 'a JSON object'}.`);
    }
    if ((body.operation === undefined) === (body.path === undefined)) {
      throw apiErrors.invalidBody('A fault rule names either an "operation" or a "path" (and not both).');
    }
    if (body.operation !== undefined && !this.#operations.has(body.operation)) {
      throw apiErrors.invalidBody(
        `There is no operation ${JSON.stringify(body.operation)}: GET /openapi.json lists the operation ids.`,
      );
    }
    if (body.status === undefined && body.delayMs === undefined && !body.drop && body.cutAfterBytes === undefined) {
      throw apiErrors.invalidBody('A fault rule needs an effect: "status", "delayMs", "drop" or "cutAfterBytes".');
    }
    const rule: FaultRule = {
      ...body,
      ...(body.method === undefined ? {} : { method: body.method.toUpperCase() }),
      id: String(this.#next++),
      fired: 0,
    };
    this.#rules.push({
      rule,
      path: body.path === undefined ? undefined : pathPattern(body.path),
      random: body.seed === undefined ? Math.random : seeded(body.seed),
      left: body.count ?? Infinity,
    });
    return rule;
  }

  list(): readonly FaultRule[] {
    return this.#rules.map((r) => r.rule);
  }

  /** Removes one rule (false: no such rule), or every rule without an id. */
  remove(id?: string): boolean {
    if (id === undefined) {
      this.#rules.length = 0;
      return true;
    }
    const at = this.#rules.findIndex((r) => r.rule.id === id);
    if (at < 0) return false;
    this.#rules.splice(at, 1);
    return true;
  }

  /** The rule that fails this request, counted as fired; undefined when none does. */
  pick(target: FaultTarget): FaultRule | undefined {
    for (const kept of this.#rules) {
      const { rule } = kept;
      if (kept.left <= 0) continue;
      if (rule.operation !== undefined ? rule.operation !== target.operation : !kept.path!.test(target.path)) continue;
      if (rule.method !== undefined && rule.method !== target.method) continue;
      if (rule.customer !== undefined && rule.customer.toLowerCase() !== target.customer) continue;
      if (rule.partner !== undefined && rule.partner.toLowerCase() !== target.partner()) continue;
      // Drawn only for matching requests, so a seeded rule's sequence does not depend on other traffic.
      if (rule.probability !== undefined && kept.random() >= rule.probability) continue;
      kept.left--;
      rule.fired++;
      this.onFired?.(rule);
      return rule;
    }
    return undefined;
  }
}
