// Fired signals, for the people they were routed to: see them, and acknowledge each with a recorded response. And
// the partnership's rules, for its administrator: each rule's versions, and a new version saved (never an update).
import { sql, type Transaction } from 'kysely'
import { childInReach, entryVisible } from '../../data/access-sql.ts'
import type { Actor } from '../../data/actor.ts'
import { hasPermission } from '../../access/policy.ts'
import type { DB, SignalDefinition } from '../../data/schema.ts'
import { auditedTransaction, RefusedError, type Ctx } from '../../data/unit-of-work.ts'
import { isUuid } from '../../data/repositories/children.ts'
import { categoryLabels } from '../../data/category-labels.ts'
import { DEFAULT_SIGNAL_RULES, parametersOf, ruleName, withParameters, type RuleParameters } from './rules.ts'

/** One rule as its administrator sees it: the latest version, and how many versions and signals it has had. */
export interface RuleView {
  code: string
  version: number
  name: string
  active: boolean
  definition: SignalDefinition
  parameters: RuleParameters
  createdAt: Date
  versions: { version: number; name: string; active: boolean; parameters: RuleParameters; createdAt: Date; signals: number }[]
}

export interface RuleInput extends RuleParameters {
  /** The version the form was opened at: a save on top of a newer version is refused (nothing overwritten). */
  version: number
  active: boolean
}

export type RuleSaveOutcome = { saved: true; version: number } | { unchanged: true } | { conflict: RuleView } | null

export function signalsRepository(ctx: Ctx, actor: Actor) {
  return {
    async mine() {
      return auditedTransaction(ctx, actor, 'signal.list', async (trx, now) => {
        const rows = await trx
          .selectFrom('risk_signal as s')
          .innerJoin('child as c', 'c.id', 's.child_id')
          .innerJoin('signal_rule as r', (j) => j.onRef('r.partnership_id', '=', 's.partnership_id').onRef('r.code', '=', 's.rule_code').onRef('r.version', '=', 's.rule_version'))
          .select(['s.id', 's.child_id', 's.fired_at', 's.acknowledged_at', 's.response', 's.entry_ids', 'r.name as rule_name', 'c.given_name', 'c.family_name'])
          .where('s.partnership_id', '=', actor.partnershipId)
          .where(sql<boolean>`${actor.membershipId}::uuid = any(s.routed_to)`)
          .where(childInReach(actor, now) as never)
          .orderBy('s.acknowledged_at', 'desc')
          .orderBy('s.fired_at', 'desc')
          .limit(200)
          .execute()
        return { result: rows, audit: { action: 'signal.list', outcome: 'success', childIds: [...new Set(rows.map((r) => r.child_id))] } }
      })
    },

    async get(id: string) {
      return auditedTransaction(ctx, actor, 'signal.view', async (trx, now) => {
        const none = { result: null, audit: { action: 'signal.view', outcome: 'not_found' as const, entityId: id } }
        if (!isUuid(id)) return none
        const s = await trx
          .selectFrom('risk_signal as s')
          .innerJoin('child as c', 'c.id', 's.child_id')
          .innerJoin('signal_rule as r', (j) => j.onRef('r.partnership_id', '=', 's.partnership_id').onRef('r.code', '=', 's.rule_code').onRef('r.version', '=', 's.rule_version'))
          // who acknowledged it: a signal routed to several people (the front door's members) says which of them did
          .leftJoin('membership as am', (j) => j.onRef('am.id', '=', 's.acknowledged_by').onRef('am.partnership_id', '=', 's.partnership_id'))
          .leftJoin('practitioner as ap', 'ap.id', 'am.practitioner_id')
          .selectAll('s')
          .select(['r.name as rule_name', 'c.given_name', 'c.family_name', 'ap.given_name as acknowledged_by_given_name', 'ap.family_name as acknowledged_by_family_name'])
          .where('s.partnership_id', '=', actor.partnershipId)
          .where('s.id', '=', id)
          .where(sql<boolean>`${actor.membershipId}::uuid = any(s.routed_to)`)
          .where(childInReach(actor, now) as never)
          .executeTakeFirst()
        if (!s) return none
        // the entries that caused it: the system named them; the viewer sees the ones their visibility allows
        const entries = await trx
          .selectFrom('entry as e')
          .innerJoin('agency as a', 'a.id', 'e.source_agency_id')
          .select(['e.id', 'e.type', 'e.category', 'e.occurred_at', 'e.occurred_time_known', 'e.summary', 'e.visibility', 'a.name as agency'])
          .where('e.partnership_id', '=', actor.partnershipId)
          .where('e.id', 'in', s.entry_ids.length ? s.entry_ids : ['00000000-0000-0000-0000-000000000000'])
          // still this child's: an entry that an unmerge moved to another child is that child's record now
          .where('e.child_id', '=', s.child_id)
          .where(entryVisible(actor, now))
          .orderBy('e.occurred_at')
          .execute()
        // their categories as the partnership names them
        const labels = await categoryLabels(trx, actor.partnershipId, entries.map((e) => e.category))
        return { result: { signal: s, entries, categoryLabels: labels }, audit: { action: 'signal.view', outcome: 'success', entityType: 'risk_signal', entityId: id, childIds: [s.child_id] } }
      })
    },

    async acknowledge(id: string, response: string) {
      return auditedTransaction(ctx, actor, 'signal.acknowledge', async (trx, now) => {
        const none = { result: null, audit: { action: 'signal.acknowledge', outcome: 'not_found' as const, entityId: id } }
        if (!isUuid(id)) return none
        // the same door as `get`: routed to the actor, and the child in the actor's reach now (a signal whose child is
        // out of reach is not found, exactly like one that does not exist)
        const s = await trx
          .selectFrom('risk_signal as s')
          .innerJoin('child as c', 'c.id', 's.child_id')
          .select(['s.id', 's.child_id', 's.acknowledged_at'])
          .where('s.partnership_id', '=', actor.partnershipId)
          .where('s.id', '=', id)
          .where(sql<boolean>`${actor.membershipId}::uuid = any(s.routed_to)`)
          .where(childInReach(actor, now) as never)
          .forUpdate('s')
          .executeTakeFirst()
        if (!s) return none
        if (s.acknowledged_at) throw new RefusedError('This signal has already been acknowledged')
        await trx.updateTable('risk_signal').set({ acknowledged_at: now, acknowledged_by: actor.membershipId, response }).where('id', '=', id).execute()
        return { result: { ok: true }, audit: { action: 'signal.acknowledge', outcome: 'success', entityType: 'risk_signal', entityId: id, childIds: [s.child_id] } }
      })
    },

    /** The partnership's names of these concern categories, for the rules' descriptions (configuration, no case data). */
    async categoryLabels(codes: readonly string[]) {
      return categoryLabels(ctx.db, actor.partnershipId, codes)
    },

    /** Every rule of the partnership, its latest version first, with all its versions (configuration, no case data). */
    async rules(): Promise<RuleView[]> {
      mayAdminister()
      return ctx.db.transaction().execute(async (trx) => allRules(trx))
    },

    /**
     * Saves a rule's new parameters (and whether it runs) as a NEW version: the rows of earlier versions are never
     * changed, so every fired signal keeps naming the version that fired it. The next evaluation uses the new version.
     */
    async saveRule(code: string, input: RuleInput): Promise<RuleSaveOutcome> {
      return auditedTransaction<RuleSaveOutcome>(ctx, actor, 'signal.rule.save', async (trx, now) => {
        mayAdminister()
        const none = { result: null, audit: { action: 'signal.rule.save', outcome: 'not_found' as const, entityType: 'signal_rule', entityId: code } }
        const latest = await trx.selectFrom('signal_rule').selectAll().where('partnership_id', '=', actor.partnershipId).where('code', '=', code).orderBy('version', 'desc').limit(1).forUpdate().executeTakeFirst()
        if (!latest) return none
        const current = async () => (await allRules(trx)).find((r) => r.code === code)!
        if (latest.version !== input.version) return { result: { conflict: await current() }, audit: { action: 'signal.rule.save', outcome: 'refused', entityType: 'signal_rule', entityId: code, details: { conflict: true, formVersion: input.version, current: latest.version } } }
        const definition = withParameters(latest.definition, input)
        const before = parametersOf(latest.definition)
        const after = parametersOf(definition)
        if (latest.active === input.active && JSON.stringify(before) === JSON.stringify(after)) return { result: { unchanged: true }, audit: { action: 'signal.rule.save', outcome: 'success', entityType: 'signal_rule', entityId: code, details: { unchanged: true, version: latest.version } } }
        if (definition.kind === 'count' && definition.minAgencies > definition.minCount) throw new RefusedError('The number of agencies cannot be more than the number of entries')
        const version = latest.version + 1
        const made = await trx
          .insertInto('signal_rule')
          .values({ partnership_id: actor.partnershipId, code, version, name: ruleName(code, definition, latest.name), definition: JSON.stringify(definition), active: input.active, created_at: now })
          .onConflict((oc) => oc.doNothing())
          .returning('version')
          .execute()
        if (!made.length) return { result: { conflict: await current() }, audit: { action: 'signal.rule.save', outcome: 'refused', entityType: 'signal_rule', entityId: code, details: { conflict: true, formVersion: input.version } } }
        return {
          result: { saved: true, version },
          audit: { action: 'signal.rule.save', outcome: 'success', entityType: 'signal_rule', entityId: code, details: { fromVersion: latest.version, toVersion: version, before: { ...before, active: latest.active }, after: { ...after, active: input.active } } },
        }
      })
    },
  }

  /** The data layer's own gate: the rules are the partnership administrator's (the route checks it first). */
  function mayAdminister() {
    if (!hasPermission(actor.role, 'partnership:administer')) throw new RefusedError('Only a partnership administrator changes the risk signal rules')
  }

  async function allRules(trx: Transaction<DB>): Promise<RuleView[]> {
    const rows = await trx.selectFrom('signal_rule').selectAll().where('partnership_id', '=', actor.partnershipId).orderBy('code').orderBy('version', 'desc').execute()
    const counts = await trx
      .selectFrom('risk_signal')
      .select(['rule_code', 'rule_version', (eb) => eb.fn.countAll<number>().as('n')])
      .where('partnership_id', '=', actor.partnershipId)
      .groupBy(['rule_code', 'rule_version'])
      .execute()
    const fired = new Map(counts.map((c) => [`${c.rule_code}@${c.rule_version}`, Number(c.n)]))
    const byCode = new Map<string, RuleView>()
    for (const r of rows) {
      const v = { version: r.version, name: r.name, active: r.active, parameters: parametersOf(r.definition), createdAt: r.created_at, signals: fired.get(`${r.code}@${r.version}`) ?? 0 }
      const seen = byCode.get(r.code)
      if (seen) seen.versions.push(v)
      else byCode.set(r.code, { code: r.code, version: r.version, name: r.name, active: r.active, definition: r.definition, parameters: v.parameters, createdAt: r.created_at, versions: [v] })
    }
    // in the order the partnership's defaults list them, then any others
    const order = DEFAULT_SIGNAL_RULES.map((r) => r.code)
    const rank = (c: string) => (order.includes(c) ? order.indexOf(c) : order.length)
    return [...byCode.values()].sort((a, b) => rank(a.code) - rank(b.code) || a.code.localeCompare(b.code))
  }
}
