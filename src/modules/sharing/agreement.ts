// The partnership's information-sharing agreement, kept by its administrators: which agencies (or kinds of agency)
// share which categories of information with which, for which purposes. Every change is a new version of the
// agreement (optimistic concurrency on that version: a change made against an older version is refused with the
// current one, nothing lost), keeps the rules it ends (with the version and time they ended), and is audited. No case
// content: the partnership administrator's configuration.
import { randomUUID } from 'node:crypto'
import { sql, type Transaction } from 'kysely'
import { hasPermission } from '../../access/policy.ts'
import type { Actor } from '../../data/actor.ts'
import { isUuid } from '../../data/repositories/children.ts'
import { AGENCY_KINDS, type AgencyKind, type DB } from '../../data/schema.ts'
import { auditedTransaction, RefusedError, type Ctx } from '../../data/unit-of-work.ts'
import { CATEGORIES, PURPOSES, codesOf } from './codes.ts'
import { DEFAULT_AGREEMENT_TITLE } from './agreement-defaults.ts'

export const AGENCY_KIND_LABELS: Record<AgencyKind, string> = {
  school: 'Schools',
  childrens_social_care: 'Children’s social care',
  police: 'Police',
  health: 'Health',
  housing: 'Housing',
  voluntary: 'Voluntary sector',
  other: 'Other agencies',
}

/** One side of a rule, as the form sends it: 'any', 'kind:<agency kind>' or 'agency:<id>'. */
export type Side = string

export interface RuleInput {
  from: Side
  to: Side
  categories: string[]
  purposes: string[]
  note: string
}

export interface AgreementChange {
  /** The agreement version the change was made against. */
  version: number
  /** A rule to end (a change of a rule ends it and adds its replacement, in one version). */
  endRuleId?: string | null
  rule?: RuleInput | null
}

export type ChangeResult = { conflict: true; currentVersion: number } | { conflict: false; version: number }

function parseSide(side: Side): { kind: AgencyKind | null; agencyId: string | null } | null {
  if (side === 'any') return { kind: null, agencyId: null }
  if (side.startsWith('kind:')) {
    const k = side.slice(5)
    return (AGENCY_KINDS as readonly string[]).includes(k) ? { kind: k as AgencyKind, agencyId: null } : null
  }
  if (side.startsWith('agency:') && isUuid(side.slice(7))) return { kind: null, agencyId: side.slice(7) }
  return null
}

export const sideOf = (kind: string | null, agencyId: string | null): Side => (agencyId ? `agency:${agencyId}` : kind ? `kind:${kind}` : 'any')

/** Every problem with a rule, by form field. */
export function validateRule(rule: RuleInput): { path: string; message: string }[] {
  const p: { path: string; message: string }[] = []
  if (!parseSide(rule.from)) p.push({ path: 'from', message: 'Choose who shares' })
  if (!parseSide(rule.to)) p.push({ path: 'to', message: 'Choose who receives' })
  if (!rule.categories.length || rule.categories.some((c) => !codesOf(CATEGORIES).includes(c))) p.push({ path: 'categories', message: 'Choose at least one category of information' })
  if (!rule.purposes.length || rule.purposes.some((c) => !codesOf(PURPOSES).includes(c))) p.push({ path: 'purposes', message: 'Choose at least one purpose' })
  if (rule.note.length > 1000) p.push({ path: 'note', message: 'The note must be 1,000 characters or fewer' })
  return p
}

export function agreementRepository(ctx: Ctx, actor: Actor) {
  const may = hasPermission(actor.role, 'partnership:administer')

  async function head(trx: Transaction<DB>) {
    return trx.selectFrom('sharing_agreement').selectAll().where('partnership_id', '=', actor.partnershipId).executeTakeFirst()
  }

  return {
    /** The agreement: its version, the rules in force, the rules ended (newest first), and the agencies (for names). */
    async view() {
      return auditedTransaction(ctx, actor, 'sharing.agreement.read', async (trx, now) => {
        if (!may) throw new RefusedError('Only a partnership administrator keeps the information-sharing agreement')
        const h = await head(trx)
        const rules = await trx
          .selectFrom('sharing_agreement_rule as r')
          .leftJoin('membership as cm', 'cm.id', 'r.created_by')
          .leftJoin('practitioner as cp', 'cp.id', 'cm.practitioner_id')
          .leftJoin('membership as em', 'em.id', 'r.ended_by')
          .leftJoin('practitioner as ep', 'ep.id', 'em.practitioner_id')
          .selectAll('r')
          .select([sql<string | null>`cp.given_name || ' ' || cp.family_name`.as('created_by_name'), sql<string | null>`ep.given_name || ' ' || ep.family_name`.as('ended_by_name')])
          .where('r.partnership_id', '=', actor.partnershipId)
          .orderBy('r.effective_to', 'desc')
          .orderBy('r.added_in_version')
          .orderBy('r.created_at')
          .execute()
        const agencies = await trx.selectFrom('agency').select(['id', 'name', 'kind']).where('partnership_id', '=', actor.partnershipId).orderBy('name').execute()
        const inForce = rules.filter((r) => r.effective_from <= now && (!r.effective_to || r.effective_to > now))
        const ended = rules.filter((r) => r.effective_to && r.effective_to <= now)
        return {
          result: { agreement: h ?? null, title: h?.title ?? DEFAULT_AGREEMENT_TITLE, version: h?.version ?? 0, inForce, ended, agencies },
          audit: { action: 'sharing.agreement.read', outcome: 'success', entityType: 'sharing_agreement', entityId: actor.partnershipId },
        }
      })
    },

    /**
     * Changes the agreement against the version the administrator saw: ends a rule, adds one, or both (a changed rule).
     * A stale version is a conflict (nothing changed; the caller shows the current agreement).
     */
    async change(change: AgreementChange): Promise<ChangeResult | null> {
      return auditedTransaction<ChangeResult | null>(ctx, actor, 'sharing.agreement.change', async (trx, now) => {
        if (!may) throw new RefusedError('Only a partnership administrator keeps the information-sharing agreement')
        if (!change.endRuleId && !change.rule) throw new RefusedError('Nothing to change')
        if (change.rule) {
          const problems = validateRule(change.rule)
          if (problems.length) throw new RefusedError(problems.map((p) => p.message).join('. '))
        }
        let h = await trx.selectFrom('sharing_agreement').selectAll().where('partnership_id', '=', actor.partnershipId).forUpdate().executeTakeFirst()
        if (!h) {
          await trx.insertInto('sharing_agreement').values({ partnership_id: actor.partnershipId, title: DEFAULT_AGREEMENT_TITLE, version: 0, effective_from: now.toISOString().slice(0, 10), review_due: null, updated_by: actor.membershipId, updated_at: now }).execute()
          h = (await head(trx))!
        }
        if (h.version !== change.version) {
          return { result: { conflict: true as const, currentVersion: h.version }, audit: { action: 'sharing.agreement.change', outcome: 'refused' as const, entityType: 'sharing_agreement', entityId: actor.partnershipId, details: { conflict: true, version: change.version, currentVersion: h.version } } }
        }
        const version = h.version + 1
        if (change.endRuleId) {
          if (!isUuid(change.endRuleId)) return { result: null, audit: { action: 'sharing.agreement.change', outcome: 'not_found' as const, entityId: change.endRuleId } }
          const ended = await trx
            .updateTable('sharing_agreement_rule')
            .set({ effective_to: now, ended_in_version: version, ended_by: actor.membershipId })
            .where('partnership_id', '=', actor.partnershipId)
            .where('id', '=', change.endRuleId)
            .where((eb) => eb.or([eb('effective_to', 'is', null), eb('effective_to', '>', now)]))
            .executeTakeFirst()
          if (!Number(ended.numUpdatedRows)) return { result: null, audit: { action: 'sharing.agreement.change', outcome: 'not_found' as const, entityId: change.endRuleId } }
        }
        let addedId: string | null = null
        if (change.rule) {
          const from = parseSide(change.rule.from)!
          const to = parseSide(change.rule.to)!
          const named = [from.agencyId, to.agencyId].filter((x): x is string => Boolean(x))
          if (named.length) {
            const found = await trx.selectFrom('agency').select('id').where('partnership_id', '=', actor.partnershipId).where('id', 'in', named).execute()
            if (found.length !== new Set(named).size) throw new RefusedError('Choose agencies of the partnership')
          }
          addedId = randomUUID()
          await trx
            .insertInto('sharing_agreement_rule')
            .values({
              id: addedId,
              partnership_id: actor.partnershipId,
              from_agency_kind: from.kind,
              from_agency_id: from.agencyId,
              to_agency_kind: to.kind,
              to_agency_id: to.agencyId,
              categories: [...new Set(change.rule.categories)],
              purposes: [...new Set(change.rule.purposes)],
              note: change.rule.note.trim(),
              added_in_version: version,
              effective_from: now,
              created_by: actor.membershipId,
              created_at: now,
            })
            .execute()
        }
        await trx.updateTable('sharing_agreement').set({ version, updated_by: actor.membershipId, updated_at: now }).where('partnership_id', '=', actor.partnershipId).execute()
        return {
          result: { conflict: false as const, version },
          audit: { action: 'sharing.agreement.change', outcome: 'success' as const, entityType: 'sharing_agreement', entityId: actor.partnershipId, details: { version, endedRuleId: change.endRuleId ?? null, addedRuleId: addedId, rule: change.rule ?? null } },
        }
      })
    },
  }
}
