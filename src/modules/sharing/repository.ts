// Sharing decisions on a child's record (issue 6, scope 1): the child's decisions (who, what, with whom, why, the
// basis, consent — decisions NOT to share too), one decision in full, and recording one by hand (the page and the
// API). Who may record: practitioners whose relationships give case reach to the child (a role that sees the team's
// entries, break-glass, or a joined member of one of the child's teams); anyone else gets the same not-found as a child
// that does not exist. Who sees a decision: whoever sees its chronology entry (entryVisible), so a decision not to
// share (an `agency` entry) stays with the deciding agency. Every call is one audited transaction.
import { sql, type Transaction } from 'kysely'
import { hasPermission } from '../../access/policy.ts'
import { entryVisible } from '../../data/access-sql.ts'
import type { Actor } from '../../data/actor.ts'
import { childWithRelationship, isUuid } from '../../data/repositories/children.ts'
import { newestFirst } from '../../data/repositories/entries.ts'
import { inOpenTeamOf } from '../tac/access.ts'
import type { DB } from '../../data/schema.ts'
import { auditedTransaction, KeyReusedError, RefusedError, type Ctx } from '../../data/unit-of-work.ts'
import { recordSharingDecision, type SharingDecisionInput } from './store.ts'

/** What the page or API gives: the decision without the child (in the URL) and the context (a manual record). */
export type ManualDecision = Omit<SharingDecisionInput, 'childId' | 'context' | 'contextId'>

export function sharingRepository(ctx: Ctx, actor: Actor) {
  /** The child, if in reach with case reach, and the relationship that granted it (for the audit row). */
  async function childAccess(trx: Transaction<DB>, childId: string, now: Date) {
    const found = await childWithRelationship(trx, actor, childId, now)
    if (!found || !(found.teamReach || (await inOpenTeamOf(trx, actor, childId)))) return undefined
    return found
  }

  /** The partnership's agencies (for recipients and names). */
  function agencies(trx: Transaction<DB>) {
    return trx.selectFrom('agency').select(['id', 'name', 'kind']).where('partnership_id', '=', actor.partnershipId).orderBy('name').execute()
  }

  /** Decisions with their entry (visible to the actor) and the author's name, role and agency. */
  function visibleDecisions(trx: Transaction<DB>, now: Date) {
    return trx
      .selectFrom('sharing_decision as d')
      .innerJoin('entry as e', (j) => j.onRef('e.detail_id', '=', 'd.id').on('e.detail_type', '=', 'sharing_decision').onRef('e.child_id', '=', 'd.child_id'))
      .innerJoin('membership as am', 'am.id', 'd.author_membership_id')
      .innerJoin('practitioner as ap', 'ap.id', 'am.practitioner_id')
      .innerJoin('agency as aa', 'aa.id', 'd.author_agency_id')
      .selectAll('d')
      .select(['e.id as entry_id', sql<string>`ap.given_name || ' ' || ap.family_name`.as('author_name'), 'am.role as author_role', 'aa.name as author_agency'])
      .where('d.partnership_id', '=', actor.partnershipId)
      .where(entryVisible(actor, now))
  }

  /**
   * What was shared, and the reasons, are for the agencies involved (the one that decided and those it shared
   * with): everyone else who sees the decision's entry learns that information moved, to whom, why in law and for
   * what purpose — never a description of the information itself.
   */
  const HIDDEN = 'Seen only by the agencies involved'
  const forViewer = <D extends { author_agency_id: string; with_agency_ids: string[]; what: string; reasons: string; consent_reason: string | null; outside_agreement_reason: string | null }>(d: D): D & { detailsHidden: boolean } => {
    const involved = d.author_agency_id === actor.agencyId || d.with_agency_ids.includes(actor.agencyId)
    return involved ? { ...d, detailsHidden: false } : { ...d, what: HIDDEN, reasons: HIDDEN, consent_reason: d.consent_reason === null ? null : HIDDEN, outside_agreement_reason: d.outside_agreement_reason === null ? null : HIDDEN, detailsHidden: true }
  }

  const notFound = (action: string, id: string) => ({ result: null, audit: { action, outcome: 'not_found' as const, entityId: id } })

  return {
    /** The child's sharing decisions the actor can see, newest first, and the agencies (for names). */
    async forChild(childId: string) {
      return auditedTransaction(ctx, actor, 'sharing.decision.list', async (trx, now) => {
        const access = await childAccess(trx, childId, now)
        if (!access) return notFound('sharing.decision.list', childId)
        const decisions = (await visibleDecisions(trx, now).where('d.child_id', '=', childId).orderBy('d.created_at', 'desc').execute()).map(forViewer)
        return {
          result: { child: access.child, decisions, agencies: await agencies(trx), canRecord: hasPermission(actor.role, 'sharing:record') },
          audit: { action: 'sharing.decision.list', outcome: 'success', entityType: 'child', entityId: childId, childIds: [childId], relationshipId: access.relationshipId, details: { decisions: decisions.map((d) => d.id) } },
        }
      })
    },

    /** What the form needs: the child, the other agencies of the partnership, and the child's recent entries the actor sees. */
    async form(childId: string) {
      return auditedTransaction(ctx, actor, 'sharing.decision.form', async (trx, now) => {
        const access = await childAccess(trx, childId, now)
        if (!access) return notFound('sharing.decision.form', childId)
        const entries = await trx
          .selectFrom('entry as e')
          .select(['e.id', 'e.type', 'e.summary', 'e.occurred_at', 'e.visibility'])
          .where('e.partnership_id', '=', actor.partnershipId)
          .where('e.child_id', '=', childId)
          .where('e.type', '!=', 'sharing_decision')
          .where(entryVisible(actor, now))
          .orderBy(newestFirst('e'))
          .limit(30)
          .execute()
        const all = await agencies(trx)
        return {
          result: { child: access.child, agencies: all.filter((a) => a.id !== actor.agencyId), entries },
          audit: { action: 'sharing.decision.form', outcome: 'success', entityType: 'child', entityId: childId, childIds: [childId], relationshipId: access.relationshipId, details: { entries: entries.map((e) => e.id) } },
        }
      })
    },

    /**
     * Records a decision by hand. With an idempotency key (the API), the same key from the same practitioner gives the
     * decision it already made (replay), or a refusal when the key was used for a different decision.
     */
    async record(childId: string, input: ManualDecision) {
      return auditedTransaction(ctx, actor, 'sharing.decision.record', async (trx, now) => {
        if (!hasPermission(actor.role, 'sharing:record')) throw new RefusedError('Sharing decisions are recorded by practitioners working on the child’s case')
        const access = await childAccess(trx, childId, now)
        if (!access) return notFound('sharing.decision.record', childId)
        if (input.idempotencyKey) {
          await sql`select pg_advisory_xact_lock(hashtext(${`sharing:${actor.partnershipId}:${actor.membershipId}:${input.idempotencyKey}`}))`.execute(trx)
          const existing = await trx
            .selectFrom('sharing_decision')
            .select(['id', 'child_id', 'shared', 'what', 'purpose', 'reasons', 'with_agency_ids', 'within_agreement'])
            .where('partnership_id', '=', actor.partnershipId)
            .where('author_membership_id', '=', actor.membershipId)
            .where('idempotency_key', '=', input.idempotencyKey)
            .executeTakeFirst()
          if (existing) {
            const same =
              existing.child_id === childId &&
              existing.shared === input.shared &&
              existing.what === input.what.trim() &&
              existing.purpose === input.purpose &&
              existing.reasons === input.reasons.trim() &&
              [...existing.with_agency_ids].sort().join() === [...new Set(input.withAgencyIds)].sort().join()
            if (!same) throw new KeyReusedError('This idempotency key was already used for a different sharing decision')
            return {
              result: { id: existing.id, replay: true, withinAgreement: existing.within_agreement },
              audit: { action: 'sharing.decision.record', outcome: 'success', entityType: 'sharing_decision', entityId: existing.id, childIds: [childId], relationshipId: access.relationshipId, details: { replay: true } },
            }
          }
        }
        const done = await recordSharingDecision(trx, actor, now, { ...input, childId, context: 'manual', contextId: null }, { audit: false })
        return { result: { id: done.id, replay: false, withinAgreement: done.withinAgreement }, audit: { ...done.auditRecord, relationshipId: access.relationshipId } }
      })
    },

    /** One decision in full, if the actor sees its entry; the entries it concerns that the actor sees. */
    async get(decisionId: string) {
      return auditedTransaction(ctx, actor, 'sharing.decision.read', async (trx, now) => {
        if (!isUuid(decisionId)) return notFound('sharing.decision.read', decisionId)
        const found = await visibleDecisions(trx, now).where('d.id', '=', decisionId).executeTakeFirst()
        if (!found) return notFound('sharing.decision.read', decisionId)
        const d = forViewer(found)
        const access = await childAccess(trx, d.child_id, now)
        if (!access) return notFound('sharing.decision.read', decisionId)
        const entries = d.entry_ids.length
          ? await trx
              .selectFrom('entry as e')
              .select(['e.id', 'e.type', 'e.summary', 'e.occurred_at'])
              .where('e.id', 'in', d.entry_ids)
              .where(entryVisible(actor, now))
              .orderBy(newestFirst('e'))
              .execute()
          : []
        return {
          result: { decision: d, child: access.child, entries, agencies: await agencies(trx) },
          audit: { action: 'sharing.decision.read', outcome: 'success', entityType: 'sharing_decision', entityId: decisionId, childIds: [d.child_id], relationshipId: access.relationshipId },
        }
      })
    },
  }
}

export type SharingRepository = ReturnType<typeof sharingRepository>
