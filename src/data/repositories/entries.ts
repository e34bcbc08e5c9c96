// The chronology spine. Entries are written through here only; every read is filtered by entryVisible().
import { randomUUID } from 'node:crypto'
import { sql, type QueryCreator, type RawBuilder, type SelectQueryBuilder } from 'kysely'
import { childInReach, entryVisible, JOINED_FACTS, relationshipFacts, type Facts } from '../access-sql.ts'
import type { Actor } from '../actor.ts'
import type { DB, Significance, Visibility } from '../schema.ts'
import { auditedTransaction, RefusedError, type Ctx } from '../unit-of-work.ts'
import { isUuid } from './children.ts'

/** Who wrote a chronology entry and when, for an entry the acting practitioner records now (their membership, team and agency). */
export const authoredNow = (actor: Actor, now: Date) => ({
  occurred_at: now,
  recorded_at: now,
  author_membership_id: actor.membershipId,
  author_team_id: actor.teamId,
  source_agency_id: actor.agencyId,
})

/**
 * The one order of a child's entries, newest first: when it happened, then when it was recorded, then id — the order
 * of the (partnership, child, occurred_at desc, recorded_at desc, id) index, and a total order, so that pages read in
 * turn hold each entry once. The chronology, the child page, the entries API and the sharing forms list entries in it.
 */
export function newestFirst(alias: string): RawBuilder<unknown> {
  return sql`${sql.ref(`${alias}.occurred_at`)} desc, ${sql.ref(`${alias}.recorded_at`)} desc, ${sql.ref(`${alias}.id`)}`
}

/** Entries are counted up to this many (the page then says "more than 1,000"). */
export const COUNT_CAP = 1000

export interface NewEntry {
  type: string
  category?: string | null
  occurredAt: Date
  occurredTimeKnown?: boolean
  significance: Significance
  summary: string
  visibility?: Visibility
  restrictedAgencyIds?: string[]
  restrictedRoles?: string[]
  addressedToMembershipId?: string | null
  detailType?: string | null
  detailId?: string | null
  agencyRecordId?: string | null
  supersedesEntryId?: string | null
}

export interface EntryView {
  id: string
  childId: string
  type: string
  category: string | null
  occurredAt: Date
  occurredTimeKnown: boolean
  recordedAt: Date
  significance: Significance
  summary: string
  visibility: Visibility
  sourceAgencyId: string
  sourceAgencyName: string
  authorName: string | null
  supersedesEntryId: string | null
  supersededBy: string | null
}

/** `entry as e` joined to the viewer's facts `f` and filtered to the entries the viewer may see (entryVisible). */
type VisibleEntries = SelectQueryBuilder<DB & { e: DB['entry']; f: Facts }, 'e' | 'f', object>

/**
 * A page of a child's entries the viewer may see, newest first — when it happened, then when it was recorded, then id:
 * the order of the (child, occurred_at, recorded_at, id) index — chosen before the few chosen are joined to their
 * agency and author. The child page and the entries API both list a child's entries through this.
 */
export function entryPage<D extends DB>(from: QueryCreator<D>, visible: VisibleEntries, actor: Actor, now: Date, page: { limit: number; offset?: number }) {
  const newest = visible
    .select(['e.id', 'e.child_id', 'e.type', 'e.category', 'e.occurred_at', 'e.occurred_time_known', 'e.recorded_at', 'e.significance', 'e.summary', 'e.visibility', 'e.source_agency_id', 'e.author_membership_id', 'e.supersedes_entry_id'])
    .orderBy(newestFirst('e'))
    .limit(page.limit)
    .offset(page.offset ?? 0)
  // `from` carries the statement's CTEs, the viewer's facts (f) among them
  return (from as unknown as QueryCreator<DB>)
    .selectFrom(newest.as('x'))
    .innerJoin('agency as a', 'a.id', 'x.source_agency_id')
    .leftJoin('membership as m', 'm.id', 'x.author_membership_id')
    .leftJoin('practitioner as p', 'p.id', 'm.practitioner_id')
    .select(['x.id', 'x.child_id', 'x.type', 'x.category', 'x.occurred_at', 'x.occurred_time_known', 'x.recorded_at', 'x.significance', 'x.summary', 'x.visibility', 'x.source_agency_id', 'a.name as agency_name', 'p.given_name', 'p.family_name'])
    // the entry this one corrects, and a later correction of it, each only if the viewer may see it: a correction of
    // something hidden, or a sealed or narrower correction, is not hinted at
    .select((eb) => {
      const seen = () => eb.selectFrom('entry as e').innerJoin(sql<Facts>`f`.as('f'), 'f.child_id', 'e.child_id').select('e.id').where(entryVisible(actor, now, JOINED_FACTS))
      return [seen().whereRef('e.id', '=', 'x.supersedes_entry_id').as('supersedes_entry_id'), seen().whereRef('e.supersedes_entry_id', '=', 'x.id').limit(1).as('superseded_by')]
    })
    .orderBy(newestFirst('x'))
}

/** A row of entryPage as an EntryView; its times as Dates, or as the ISO strings of a row read as JSON. */
export function entryView(r: Omit<EntryPageRow, 'occurred_at' | 'recorded_at'> & { occurred_at: Date | string; recorded_at: Date | string }): EntryView {
  return {
    id: r.id,
    childId: r.child_id,
    type: r.type,
    category: r.category,
    occurredAt: new Date(r.occurred_at),
    occurredTimeKnown: r.occurred_time_known,
    recordedAt: new Date(r.recorded_at),
    significance: r.significance,
    summary: r.summary,
    visibility: r.visibility,
    sourceAgencyId: r.source_agency_id,
    sourceAgencyName: r.agency_name,
    authorName: r.given_name ? `${r.given_name} ${r.family_name}` : null,
    supersedesEntryId: r.supersedes_entry_id,
    supersededBy: r.superseded_by ?? null,
  }
}

type EntryPageRow = Awaited<ReturnType<ReturnType<typeof entryPage>['execute']>>[number]

export function entriesRepository(ctx: Ctx, actor: Actor) {
  return {
    /**
     * A page of the entries of one child the actor may see, newest first, and how many there are (exact up to
     * COUNT_CAP; beyond it, `totalCapped`). Null when the child is out of reach or absent.
     */
    async forChild(childId: string, page: { limit?: number; offset?: number } = {}): Promise<{ entries: EntryView[]; total: number; totalCapped: boolean } | null> {
      return auditedTransaction(ctx, actor, 'entry.list', async (trx, now) => {
        if (!isUuid(childId)) return { result: null, audit: { action: 'entry.list', outcome: 'not_found', entityType: 'child', entityId: childId } }
        const child = await trx.selectFrom('child as c').select('c.id').where('c.id', '=', childId).where('c.partnership_id', '=', actor.partnershipId).where(childInReach(actor, now)).executeTakeFirst()
        if (!child) return { result: null, audit: { action: 'entry.list', outcome: 'not_found', entityType: 'child', entityId: childId } }
        // the viewer's relationships to the child worked out once (f, kept: inline, the planner may work them out
        // again for every entry of a long chronology)
        const withFacts = trx.with((w) => w('f').materialized(), () => relationshipFacts(trx, actor, now, [childId]))
        const base = withFacts
          .selectFrom('entry as e')
          .innerJoin('f', 'f.child_id', 'e.child_id')
          .where('e.partnership_id', '=', actor.partnershipId)
          .where('e.child_id', '=', childId)
          .where(entryVisible(actor, now, JOINED_FACTS))
        const [rows, count] = await Promise.all([
          entryPage(withFacts, base, actor, now, { limit: page.limit ?? 50, offset: page.offset ?? 0 }).execute(),
          // counted up to a cap: a child with thousands of entries must not make every page count them all
          withFacts
            .selectFrom(base.select('e.id').limit(COUNT_CAP + 1).as('x'))
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow(),
        ])
        const entries = rows.map(entryView)
        return {
          result: { entries, total: Math.min(Number(count.n), COUNT_CAP), totalCapped: Number(count.n) > COUNT_CAP },
          audit: { action: 'entry.list', outcome: 'success', entityType: 'child', entityId: childId, childIds: [childId], details: { entryIds: entries.map((e) => e.id) } },
        }
      })
    },

    /** Writes one entry for one child the actor has in reach. A correction supersedes an entry the actor can see. */
    async create(childId: string, input: NewEntry): Promise<{ id: string } | null> {
      return auditedTransaction(ctx, actor, 'entry.create', async (trx, now) => {
        const notFound = { result: null, audit: { action: 'entry.create', outcome: 'not_found' as const, entityType: 'child', entityId: childId } }
        if (!isUuid(childId)) return notFound
        const child = await trx.selectFrom('child as c').select('c.id').where('c.id', '=', childId).where('c.partnership_id', '=', actor.partnershipId).where(childInReach(actor, now)).executeTakeFirst()
        if (!child) return notFound
        if (input.supersedesEntryId) {
          const old = await trx.selectFrom('entry as e').select('e.id').where('e.id', '=', input.supersedesEntryId).where('e.child_id', '=', childId).where(entryVisible(actor, now)).executeTakeFirst()
          if (!old) throw new RefusedError('The entry to correct was not found')
        }
        if (!input.summary.trim()) throw new RefusedError('An entry needs a summary')
        const visibility = input.visibility ?? 'team'
        if (visibility === 'restricted' && !(input.restrictedAgencyIds?.length)) throw new RefusedError('A restricted entry must name the agencies that may see it')
        const id = randomUUID()
        await trx
          .insertInto('entry')
          .values({
            id,
            partnership_id: actor.partnershipId,
            child_id: childId,
            agency_record_id: input.agencyRecordId ?? null,
            type: input.type,
            category: input.category ?? null,
            occurred_at: input.occurredAt,
            occurred_time_known: input.occurredTimeKnown ?? true,
            recorded_at: now,
            author_membership_id: actor.membershipId,
            author_team_id: actor.teamId,
            source_agency_id: actor.agencyId,
            significance: input.significance,
            summary: input.summary,
            detail_type: input.detailType ?? null,
            detail_id: input.detailId ?? null,
            visibility,
            restricted_agency_ids: input.restrictedAgencyIds ?? [],
            restricted_roles: input.restrictedRoles ?? [],
            addressed_to_membership_id: input.addressedToMembershipId ?? null,
            supersedes_entry_id: input.supersedesEntryId ?? null,
          })
          .execute()
        return {
          result: { id },
          audit: {
            action: 'entry.create',
            outcome: 'success',
            entityType: 'entry',
            entityId: id,
            childIds: [childId],
            details: { type: input.type, visibility, supersedes: input.supersedesEntryId ?? null },
          },
        }
      })
    },
  }
}
