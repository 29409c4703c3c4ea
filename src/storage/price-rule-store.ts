import crypto from 'node:crypto';
import type { Kysely } from 'kysely';
import { priceRuleProblem, type PriceRule } from '../domain/price-rules.js';
import { formatDecimal, parseDecimal } from '../money/decimal.js';
import type { Database, PriceRulesTable } from './schema.js';
import { NotFound, partnerKeyOf, writeAudit, type Actor } from './partner-scope.js';

const newRuleId = (): string => `pr_${crypto.randomUUID().replaceAll('-', '')}`;

const ruleOf = (r: PriceRulesTable): PriceRule => ({
  id: r.rule_id,
  basis: r.basis === 'retail' ? 'retail' : 'cost',
  adjust: r.adjust,
  customer: r.customer_tenant_id || null,
  reseller: r.reseller || null,
  category: r.category || null,
  publisher: r.publisher || null,
  from: r.from_period,
});

/** A rule as the audit log shows it. */
const describe = (r: Omit<PriceRule, 'id'>): string =>
  [
    `${r.basis} ${r.adjust.startsWith('-') ? '' : '+'}${r.adjust}%`,
    r.customer && `customer ${r.customer}`,
    r.reseller && `reseller ${r.reseller}`,
    r.category && `category ${r.category}`,
    r.publisher && `publisher ${r.publisher}`,
    `from ${r.from}`,
  ]
    .filter(Boolean)
    .join(', ');

/**
 * A partner's price rules (src/domain/price-rules.ts): listed, set (a rule of the same scope,
 * narrowing and first period is replaced) and removed, each change audited in its transaction.
 */
export class PriceRuleStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly noteChange: () => Promise<void>,
  ) {}

  /** The partner's rules, by first period, then scope; none for a partner the database does not hold. */
  async rules(partnerTenantId: string): Promise<PriceRule[]> {
    const rows = await this.db
      .selectFrom('price_rules as r')
      .innerJoin('partners as p', 'p.partner_key', 'r.partner_key')
      .selectAll('r')
      .where('p.tenant_id', '=', partnerTenantId.toLowerCase())
      .orderBy('r.from_period')
      .orderBy('r.customer_tenant_id')
      .orderBy('r.reseller')
      .orderBy('r.category')
      .orderBy('r.publisher')
      .execute();
    return rows.map(ruleOf);
  }

  /**
   * Sets a rule: RangeError saying what is wrong with it, NotFound for a customer the partner does
   * not have. Names are kept as given; a customer's id in lower case; the adjustment canonical.
   */
  async set(partnerTenantId: string, given: Omit<PriceRule, 'id'>, actor: Actor): Promise<PriceRule> {
    const problem = priceRuleProblem(given);
    if (problem) throw new RangeError(`The rule ${problem}.`);
    const rule: PriceRule = {
      ...given,
      id: newRuleId(),
      adjust: formatDecimal(parseDecimal(given.adjust)!),
      customer: given.customer?.trim().toLowerCase() ?? null,
      reseller: given.reseller?.trim() ?? null,
      category: given.category?.trim() ?? null,
      publisher: given.publisher?.trim() ?? null,
    };
    await this.db.transaction().execute(async (trx) => {
      const partnerKey = await partnerKeyOf(trx, partnerTenantId);
      if (rule.customer !== null) {
        const customer = await trx
          .selectFrom('customers')
          .select('customer_key')
          .where('partner_key', '=', partnerKey)
          .where('tenant_id', '=', rule.customer)
          .executeTakeFirst();
        if (!customer) throw new NotFound(`no customer ${rule.customer} for this partner`);
      }
      const scope = {
        customer_tenant_id: rule.customer ?? '',
        reseller: rule.reseller ?? '',
        category: rule.category ?? '',
        publisher: rule.publisher ?? '',
        from_period: rule.from,
      };
      const old = await trx
        .deleteFrom('price_rules')
        .where('partner_key', '=', partnerKey)
        .where('customer_tenant_id', '=', scope.customer_tenant_id)
        .where('reseller', '=', scope.reseller)
        .where('category', '=', scope.category)
        .where('publisher', '=', scope.publisher)
        .where('from_period', '=', scope.from_period)
        .returningAll()
        .executeTakeFirst();
      await trx
        .insertInto('price_rules')
        .values({
          rule_id: rule.id,
          partner_key: partnerKey,
          basis: rule.basis,
          adjust: rule.adjust,
          ...scope,
          created_at: new Date().toISOString(),
        })
        .execute();
      await writeAudit(trx, partnerKey, {
        actor,
        action: 'prices.set',
        subject: rule.id,
        oldValue: old ? describe(ruleOf(old)) : null,
        newValue: describe(rule),
      });
    });
    await this.noteChange();
    return rule;
  }

  /** Removes a rule (returned as it was); NotFound when the partner has no such rule. */
  async remove(partnerTenantId: string, ruleId: string, actor: Actor): Promise<PriceRule> {
    const removed = await this.db.transaction().execute(async (trx) => {
      const partnerKey = await partnerKeyOf(trx, partnerTenantId);
      const row = await trx
        .deleteFrom('price_rules')
        .where('partner_key', '=', partnerKey)
        .where('rule_id', '=', ruleId)
        .returningAll()
        .executeTakeFirst();
      if (!row) throw new NotFound(`no price rule ${ruleId} for this partner`);
      const rule = ruleOf(row);
      await writeAudit(trx, partnerKey, {
        actor,
        action: 'prices.remove',
        subject: ruleId,
        oldValue: describe(rule),
        newValue: null,
      });
      return rule;
    });
    await this.noteChange();
    return removed;
  }
}
