// "Who has looked at this record": the audit rows naming a child. For team managers with the child in reach, and
// for information-governance officers across their partnership (identity of the child only: no case content).
import { sql, type Selectable } from 'kysely'
import { grantingRelationshipJoin } from '../../modules/governance/granting.ts'
import { childInReach, entryVisible } from '../access-sql.ts'
import { chainHash, GENESIS } from '../audit-seal.ts'
import type { AuditEventTable } from '../schema.ts'
import type { Actor } from '../actor.ts'
import { auditedTransaction, type Ctx } from '../unit-of-work.ts'
import { isCalendarDate } from '../../web/dates.ts'
import { isUuid } from './children.ts'

export interface AccessLogRow {
  at: Date
  action: string
  outcome: string
  who: string | null
  role: string | null
  agency: string | null
  /** The relationship that granted the look: named by the row (recorded), or held by the actor at that moment. */
  relationshipType: string | null
  relationshipReason: string | null
  relationshipRecorded: boolean
  actorKind: string
  /** The row against its seal: 'ok' (hash matches the chain), 'changed' (it does not), 'unsealed' (not sealed yet). */
  seal: 'ok' | 'changed' | 'unsealed'
}

export interface AccessLog {
  child: { id: string; name: string }
  rows: AccessLogRow[]
  total: number
  page: number
  pages: number
  filter: { from: string | null; to: string | null }
}

type AuditRowJoined = Selectable<AuditEventTable> & {
  given_name: string | null
  family_name: string | null
  role: string | null
  agency_name: string | null
  relationship_type: string | null
  relationship_reason: string | null
  relationship_recorded: boolean | null
  seal_seq: number | null
  seal_hash: string | null
  prev_hash: string | null
}

/** One row against its seal: its hash recomputed from the previous seal's (the chain's link) must be the stored one. */
function sealState(r: AuditRowJoined): AccessLogRow['seal'] {
  if (r.seal_seq === null || r.seal_hash === null) return 'unsealed'
  const previous = Number(r.seal_seq) === 1 ? GENESIS : r.prev_hash
  if (previous === null) return 'changed'
  const row = { ...r, id: Number(r.id), child_ids: r.child_ids } as unknown as Selectable<AuditEventTable>
  return chainHash(previous, row) === r.seal_hash ? 'ok' : 'changed'
}

export function accessLogRepository(ctx: Ctx, actor: Actor) {
  return {
    /** IG officers find a record by NHS number to see who has looked at it (identity only; the search is audited). */
    async findByNhsNumber(nhsNumber: string): Promise<string | null> {
      return auditedTransaction(ctx, actor, 'audit.access-log.search', async (trx, now) => {
        const digits = nhsNumber.replace(/\s+/g, '')
        let q = trx.selectFrom('child as c').select('c.id').where('c.partnership_id', '=', actor.partnershipId).where('c.nhs_number', '=', digits)
        // managers only find children in their reach: existence is not revealed
        if (actor.role !== 'ig_officer') q = q.where(childInReach(actor, now))
        const row = /^\d{10}$/.test(digits) ? await q.executeTakeFirst() : undefined
        return {
          result: row?.id ?? null,
          audit: { action: 'audit.access-log.search', outcome: row ? 'success' : 'not_found', childIds: row ? [row.id] : [], details: { by: 'nhs_number' } },
        }
      })
    },

    /**
     * "Who has seen this and why": every audit row naming the child — who (role, agency), when, what, the outcome, and
     * the relationship that granted it (type and reason: the one the row names, or the one the actor held at that
     * moment) — newest first, within a date range (London dates), a page at a time. Each row shown is checked
     * against its seal in the hash chain. Managers do not see rows about entries hidden from them (a sealed entry's
     * existence stays hidden); IG sees every row.
     */
    async forChild(childId: string, opts: { from?: string | null; to?: string | null; page?: number; pageSize?: number } = {}): Promise<AccessLog | null> {
      return auditedTransaction(ctx, actor, 'audit.access-log', async (trx, now) => {
        const notFound = { result: null, audit: { action: 'audit.access-log', outcome: 'not_found' as const, entityType: 'child', entityId: childId } }
        if (!isUuid(childId)) return notFound
        let q = trx.selectFrom('child as c').select(['c.id', 'c.given_name', 'c.family_name']).where('c.id', '=', childId).where('c.partnership_id', '=', actor.partnershipId)
        if (actor.role !== 'ig_officer') q = q.where(childInReach(actor, now))
        const child = await q.executeTakeFirst()
        if (!child) return notFound
        const pageSize = Math.min(Math.max(opts.pageSize ?? 50, 1), 200)
        const page = Math.max(1, Math.floor(opts.page ?? 1))
        const date = (d: string | null | undefined) => (d && isCalendarDate(d) ? d : null)
        const from = date(opts.from)
        const to = date(opts.to)
        const conditions = [
          sql`a.partnership_id = ${actor.partnershipId}::uuid`,
          // an array value in a builder would be spliced in as a list, not bound as one uuid[] parameter
          sql`a.child_ids @> array[${childId}]::uuid[]`,
        ]
        if (from) conditions.push(sql`a.at >= (${from}::date)::timestamp at time zone 'Europe/London'`)
        if (to) conditions.push(sql`a.at < ((${to}::date + 1)::timestamp at time zone 'Europe/London')`)
        if (actor.role !== 'ig_officer') {
          // rows about an entry the viewer may not see are not shown: not even that something happened to it
          const visible = trx.selectFrom('entry as e').select('e.id').where('e.partnership_id', '=', actor.partnershipId).where('e.child_id', '=', childId).where(entryVisible(actor, now))
          conditions.push(sql`(a.entity_type is distinct from 'entry' or a.entity_id in (select v.id::text from (${visible}) v))`)
          // nor a request to seal or unseal one
          conditions.push(sql`(a.entity_type is distinct from 'approval_request' or a.entity_id in (select ar.id::text from approval_request ar where ar.partnership_id = ${actor.partnershipId}::uuid and ar.subject_type = 'entry' and ar.subject_ids[1] in (select v.id from (${visible}) v)))`)
          // nor anything else the child's chronology records only in entries hidden from the viewer (a decision not
          // to share, a concern, a request for information, …): a row about a record that entries of this child
          // describe is shown only when one of those entries is visible to the viewer
          const described = trx.selectFrom('entry as e').select('e.detail_id').where('e.partnership_id', '=', actor.partnershipId).where('e.child_id', '=', childId).where('e.detail_id', 'is not', null)
          const describedVisibly = described.where(entryVisible(actor, now))
          conditions.push(sql`(a.entity_id is null or a.entity_id not in (select d.detail_id::text from (${described}) d) or a.entity_id in (select d.detail_id::text from (${describedVisibly}) d))`)
        }
        const where = sql.join(conditions, sql` and `)
        const [counted, rows] = await Promise.all([
          sql<{ n: number }>`select count(*)::int as n from audit_event a where ${where}`.execute(trx),
          sql<AuditRowJoined>`
            select a.*, p.given_name, p.family_name, m.role, ag.name as agency_name,
                   g.type as relationship_type, g.reason as relationship_reason, g.recorded as relationship_recorded,
                   s.seal_seq, s.hash as seal_hash, prev.hash as prev_hash
            from audit_event a
            left join practitioner p on p.id = a.actor_practitioner_id
            left join membership m on m.id = a.actor_membership_id
            left join agency ag on ag.id = m.agency_id
            ${grantingRelationshipJoin(sql`${childId}::uuid`)}
            left join audit_seal s on s.audit_id = a.id
            left join audit_seal prev on prev.partnership_id = s.partnership_id and prev.seal_seq = s.seal_seq - 1
            where ${where}
            order by a.at desc, a.id desc
            limit ${pageSize} offset ${(page - 1) * pageSize}`.execute(trx),
        ])
        const total = Number(counted.rows[0]?.n ?? 0)
        const result: AccessLog = {
          child: { id: child.id, name: `${child.given_name} ${child.family_name}` },
          rows: rows.rows.map((r) => ({
            at: new Date(r.at),
            action: r.action,
            outcome: r.outcome,
            who: r.given_name ? `${r.given_name} ${r.family_name}` : null,
            role: r.role,
            agency: r.agency_name,
            relationshipType: r.relationship_type,
            relationshipReason: r.relationship_reason,
            relationshipRecorded: Boolean(r.relationship_recorded),
            actorKind: r.actor_kind,
            seal: sealState(r),
          })),
          total,
          page,
          pages: Math.max(1, Math.ceil(total / pageSize)),
          filter: { from, to },
        }
        return {
          result,
          audit: { action: 'audit.access-log', outcome: 'success', entityType: 'child', entityId: childId, childIds: [childId], details: { from, to, page, rows: result.rows.length } },
        }
      })
    },
  }
}
