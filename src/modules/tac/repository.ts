// The team around the child (or a family of siblings): started at a level with a lead practitioner (key worker)
// from any agency; members from other agencies invited, joining (which grants the relationship that lets them see
// the record) and leaving (which ends it); the family's members, their views and their agreement to the plan;
// roles and duties visible to everyone in the team; step up, step down and closure with reasons.
import { randomUUID } from 'node:crypto'
import { sql, type Selectable, type Transaction } from 'kysely'
import { ROLE_LABELS, isRole } from '../../access/policy.ts'
import { childInReach } from '../../data/access-sql.ts'
import type { Actor } from '../../data/actor.ts'
import { notifyMemberships } from '../../data/notify.ts'
import { tacMembersInPostQuery } from '../../data/memberships.ts'
import { isUuid, lockChildren } from '../../data/repositories/children.ts'
import { TAC_LEVELS, type DB, type TacFamilyMemberTable, type TacLevel } from '../../data/schema.ts'
import { auditedTransaction, RefusedError, type Ctx } from '../../data/unit-of-work.ts'
import { casePractitioners, childForTeamRead, endTeamRelationships, openTeamOfChild, grantTeamRelationships, LEVEL_LABELS, memberIds, tacInReach, tacForChange, writeTacEntries, type Practitioner } from './access.ts'
import { closeTac, cpPlanInPlace, startTac } from './store.ts'

const rank = (l: TacLevel) => TAC_LEVELS.indexOf(l)

/** A member's role and duties as saved by someone else since the form was opened (the "someone else changed this" page). */
export interface MemberRoleConflict {
  id: string
  name: string
  team_role: string
  duties: string
  row_version: number
}

export function tacRepository(ctx: Ctx, actor: Actor) {
  const notFound = (action: string, entityId?: string) => ({ result: null, audit: { action, outcome: 'not_found' as const, entityType: 'tac', entityId: entityId ?? null } })

  async function childrenInReach(trx: Transaction<DB>, ids: readonly string[], now: Date) {
    const valid = ids.filter(isUuid)
    if (!valid.length) return []
    return trx
      .selectFrom('child as c')
      .select(['c.id', 'c.given_name', 'c.family_name', 'c.date_of_birth'])
      .where('c.partnership_id', '=', actor.partnershipId)
      .where('c.id', 'in', valid)
      .where(childInReach(actor, now))
      .execute()
  }

  /** Practitioners who may be invited or lead (one, when `only` names a membership). */
  const practitioners = (trx: Transaction<DB>, now: Date, only?: string) => casePractitioners(trx, actor.partnershipId, now, only ? { ids: [only] } : {})

  async function members(trx: Transaction<DB>, tacId: string) {
    const rows = await trx
      .selectFrom('tac_member as tm')
      .innerJoin('membership as m', 'm.id', 'tm.membership_id')
      .innerJoin('practitioner as p', 'p.id', 'm.practitioner_id')
      .innerJoin('agency as a', 'a.id', 'm.agency_id')
      .select(['tm.id', 'tm.membership_id', 'tm.team_role', 'tm.duties', 'tm.row_version', 'tm.status', 'tm.invited_at', 'tm.joined_at', 'tm.left_at', 'tm.left_reason', 'm.role', 'p.given_name', 'p.family_name', 'p.email', 'a.name as agency'])
      .where('tm.partnership_id', '=', actor.partnershipId)
      .where('tm.tac_id', '=', tacId)
      .orderBy(sql`tm.status = 'joined'`, 'desc')
      .orderBy('a.name')
      .execute()
    return rows.map((r) => ({ ...r, name: `${r.given_name} ${r.family_name}`, roleLabel: isRole(r.role) ? ROLE_LABELS[r.role] : r.role }))
  }

  async function entryFor(trx: Transaction<DB>, now: Date, childIds: string[], tacId: string, type: string, summary: string, significance: 'low' | 'medium' | 'high' | 'critical') {
    await writeTacEntries(trx, actor, now, childIds, { type, summary, significance, occurredAt: now, detailType: 'tac', detailId: tacId })
  }

  return {
    /** My teams (joined) and my invitations, with the children's names. */
    async mine() {
      return auditedTransaction(ctx, actor, 'tac.list', async (trx) => {
        const rows = await trx
          .selectFrom('tac_member as tm')
          .innerJoin('tac as t', 't.id', 'tm.tac_id')
          .select(['t.id', 't.level', 't.status', 't.mace', 't.next_review_on', 't.started_at', 't.lead_membership_id', 'tm.status as my_status', 'tm.team_role'])
          .select((eb) => [
            eb
              .selectFrom('tac_child as tc')
              .innerJoin('child as c', 'c.id', 'tc.child_id')
              .select(sql<{ id: string; name: string }[]>`json_agg(json_build_object('id', c.id, 'name', c.given_name || ' ' || c.family_name) order by c.given_name)`.as('x'))
              .whereRef('tc.tac_id', '=', 't.id')
              .as('children'),
          ])
          .where('tm.partnership_id', '=', actor.partnershipId)
          .where('tm.membership_id', '=', actor.membershipId)
          .where('tm.status', 'in', ['joined', 'invited'])
          .orderBy('t.status', 'desc')
          .orderBy('t.started_at', 'desc')
          .execute()
        const result = rows.map((r) => ({ ...r, children: r.children ?? [], levelLabel: LEVEL_LABELS[r.level] }))
        return { result, audit: { action: 'tac.list', outcome: 'success', childIds: [...new Set(result.flatMap((r) => r.children.map((c) => c.id)))] } }
      })
    },

    /** The teams of one child, and what the start page needs (siblings in reach, practitioners who may lead). */
    async forChild(childId: string) {
      return auditedTransaction(ctx, actor, 'tac.child', async (trx, now) => {
        const [child] = await childrenInReach(trx, [childId], now)
        if (!child) return { result: null, audit: { action: 'tac.child', outcome: 'not_found' as const, entityType: 'child', entityId: childId } }
        const teams = await trx
          .selectFrom('tac_child as tc')
          .innerJoin('tac as t', 't.id', 'tc.tac_id')
          .innerJoin('membership as lm', 'lm.id', 't.lead_membership_id')
          .innerJoin('practitioner as lp', 'lp.id', 'lm.practitioner_id')
          .innerJoin('agency as la', 'la.id', 'lm.agency_id')
          .select(['t.id', 't.level', 't.status', 't.mace', 't.started_at', 't.next_review_on', 't.closed_at', 'lp.given_name', 'lp.family_name', 'la.name as lead_agency'])
          .where('tc.partnership_id', '=', actor.partnershipId)
          .where('tc.child_id', '=', childId)
          .orderBy('t.started_at', 'desc')
          .execute()
        // siblings and household children the actor can also see, to start one team for the family
        const related = await trx.selectFrom('family_member').select('related_child_id').where('partnership_id', '=', actor.partnershipId).where('child_id', '=', childId).where('related_child_id', 'is not', null).execute()
        const siblings = await childrenInReach(
          trx,
          related.flatMap((r) => (r.related_child_id ? [r.related_child_id] : [])),
          now,
        )
        const leads = await practitioners(trx, now)
        return {
          result: { child, teams: teams.map((t) => ({ ...t, levelLabel: LEVEL_LABELS[t.level], lead: `${t.given_name} ${t.family_name}` })), siblings, leads },
          audit: { action: 'tac.child', outcome: 'success', entityType: 'child', entityId: childId, childIds: [childId, ...siblings.map((s) => s.id)] },
        }
      })
    },

    /**
     * The API's team around the child: the open team (openTeamOfChild) with its current members (joined or invited,
     * as the team page lists them), or null when there is none the actor may see. One audited read; a child out of
     * reach is not found.
     */
    async teamOfChild(childId: string) {
      return auditedTransaction(ctx, actor, 'tac.team', async (trx, now) => {
        const child = await childForTeamRead(trx, actor, childId, now)
        if (!child) return { result: null, audit: { action: 'tac.team', outcome: 'not_found' as const, entityType: 'child', entityId: childId } }
        const tac = await openTeamOfChild(trx, actor, childId, now)
        const team = tac ? { tac, levelLabel: LEVEL_LABELS[tac.level], members: (await members(trx, tac.id)).filter((m) => m.status === 'joined' || m.status === 'invited') } : null
        return {
          result: { child, team },
          audit: { action: 'tac.team', outcome: 'success', entityType: 'child', entityId: childId, childIds: tac ? [childId, ...tac.childIds.filter((c) => c !== childId)] : [childId], relationshipId: tac?.relationshipId ?? null, ...(tac ? { details: { tac: tac.id } } : {}) },
        }
      })
    },

    async start(input: { childId: string; siblingIds: string[]; level: TacLevel; leadMembershipId: string; leadRole: string; reason: string }) {
      return auditedTransaction(ctx, actor, 'tac.start', async (trx, now) => {
        const ids = [...new Set([input.childId, ...input.siblingIds])]
        const inReach = await childrenInReach(trx, ids, now)
        if (!inReach.some((c) => c.id === input.childId)) return { result: null, audit: { action: 'tac.start', outcome: 'not_found' as const, entityType: 'child', entityId: input.childId } }
        if (inReach.length !== ids.length) throw new RefusedError('You can only include children you work with')
        const [lead] = isUuid(input.leadMembershipId) ? await practitioners(trx, now, input.leadMembershipId) : []
        if (!lead) throw new RefusedError('Choose a lead practitioner from the list')
        await lockChildren(trx, actor.partnershipId, ids)
        const open = await trx.selectFrom('tac_child as tc').innerJoin('tac as t', 't.id', 'tc.tac_id').select('t.id').where('tc.partnership_id', '=', actor.partnershipId).where('tc.child_id', 'in', ids).where('t.status', '=', 'open').where('t.mace', '=', false).executeTakeFirst()
        if (open) throw new RefusedError('A team around this child is already open: join it or step it up instead of starting another')
        const id = await startTac(trx, actor, now, { childIds: ids, level: input.level, leadMembershipId: lead.membershipId, leadRole: input.leadRole || `Lead practitioner (${lead.roleLabel})`, reason: input.reason })
        return { result: { id }, audit: { action: 'tac.start', outcome: 'success', entityType: 'tac', entityId: id, childIds: ids, details: { level: input.level } } }
      })
    },

    /** The team: children, members with roles and duties, the family, the level history. */
    async overview(tacId: string) {
      return auditedTransaction(ctx, actor, 'tac.view', async (trx, now) => {
        const tac = await tacInReach(trx, actor, tacId, now)
        if (!tac) return notFound('tac.view', tacId)
        const [children, team, family, levels, invitable] = await Promise.all([
          trx.selectFrom('child').select(['id', 'given_name', 'family_name', 'date_of_birth']).where('partnership_id', '=', actor.partnershipId).where('id', 'in', tac.childIds).orderBy('date_of_birth').execute(),
          members(trx, tacId),
          trx.selectFrom('tac_family_member').selectAll().where('partnership_id', '=', actor.partnershipId).where('tac_id', '=', tacId).orderBy('recorded_at').execute(),
          trx
            .selectFrom('level_change as l')
            .innerJoin('membership as m', 'm.id', 'l.decided_by')
            .innerJoin('practitioner as p', 'p.id', 'm.practitioner_id')
            .select(['l.id', 'l.kind', 'l.from_level', 'l.to_level', 'l.reason', 'l.decided_at', 'p.given_name', 'p.family_name'])
            .where('l.partnership_id', '=', actor.partnershipId)
            .where('l.tac_id', '=', tacId)
            .orderBy('l.decided_at')
            .execute(),
          tac.isMember ? practitioners(trx, now) : Promise.resolve([] as Practitioner[]),
        ])
        const current = new Set(team.filter((m) => m.status === 'joined' || m.status === 'invited').map((m) => m.membership_id))
        return {
          result: { tac, levelLabel: LEVEL_LABELS[tac.level], children, members: team, family, levels, invitable: invitable.filter((p) => !current.has(p.membershipId)), isMember: tac.isMember, isLead: tac.isLead },
          audit: { action: 'tac.view', outcome: 'success', entityType: 'tac', entityId: tacId, childIds: tac.childIds, relationshipId: tac.relationshipId },
        }
      })
    },

    async invite(tacId: string, input: { membershipId: string; teamRole: string; duties: string }) {
      return auditedTransaction(ctx, actor, 'tac.invite', async (trx, now) => {
        const tac = await tacForChange(trx, actor, tacId, now)
        if (!tac) return notFound('tac.invite', tacId)
        const [who] = isUuid(input.membershipId) ? await practitioners(trx, now, input.membershipId) : []
        if (!who) throw new RefusedError('Choose who to invite from the list')
        const existing = await trx.selectFrom('tac_member').select('status').where('tac_id', '=', tacId).where('membership_id', '=', who.membershipId).where('status', 'in', ['invited', 'joined']).executeTakeFirst()
        if (existing) throw new RefusedError(`${who.name} is already ${existing.status === 'joined' ? 'a member of' : 'invited to'} this team`)
        const id = randomUUID()
        await trx.insertInto('tac_member').values({ id, partnership_id: actor.partnershipId, tac_id: tacId, membership_id: who.membershipId, team_role: input.teamRole, duties: input.duties, status: 'invited', invited_by: actor.membershipId, invited_at: now, joined_at: null }).execute()
        await notifyMemberships(trx, actor.partnershipId, [who.membershipId], { kind: 'tac.invited', subjectType: 'tac', subjectId: tacId, link: `/teams/${tacId}/invitation` }, now)
        return { result: { id }, audit: { action: 'tac.invite', outcome: 'success', entityType: 'tac', entityId: tacId, childIds: tac.childIds, details: { invited: who.membershipId } } }
      })
    },

    /** My invitation to a team: enough to decide (the children's names, the level, the lead, the role asked). */
    async invitation(tacId: string) {
      return auditedTransaction(ctx, actor, 'tac.invitation', async (trx) => {
        if (!isUuid(tacId)) return notFound('tac.invitation', tacId)
        const inv = await trx
          .selectFrom('tac_member as tm')
          .innerJoin('tac as t', 't.id', 'tm.tac_id')
          .innerJoin('membership as lm', 'lm.id', 't.lead_membership_id')
          .innerJoin('practitioner as lp', 'lp.id', 'lm.practitioner_id')
          .innerJoin('agency as la', 'la.id', 'lm.agency_id')
          .select(['tm.id', 'tm.team_role', 'tm.duties', 't.level', 't.reason', 't.status as tac_status', 'lp.given_name', 'lp.family_name', 'la.name as lead_agency'])
          .select((eb) => [
            eb
              .selectFrom('tac_child as tc')
              .innerJoin('child as c', 'c.id', 'tc.child_id')
              .select(sql<{ id: string; name: string }[]>`json_agg(json_build_object('id', c.id, 'name', c.given_name || ' ' || c.family_name))`.as('x'))
              .whereRef('tc.tac_id', '=', 't.id')
              .as('children'),
          ])
          .where('tm.partnership_id', '=', actor.partnershipId)
          .where('tm.tac_id', '=', tacId)
          .where('tm.membership_id', '=', actor.membershipId)
          .where('tm.status', '=', 'invited')
          .executeTakeFirst()
        if (!inv) return notFound('tac.invitation', tacId)
        const children = inv.children ?? []
        return { result: { ...inv, children, levelLabel: LEVEL_LABELS[inv.level], lead: `${inv.given_name} ${inv.family_name}` }, audit: { action: 'tac.invitation', outcome: 'success', entityType: 'tac', entityId: tacId, childIds: children.map((c) => c.id) } }
      })
    },

    /** Accept (join: the relationship to each child starts now) or decline. */
    async respond(tacId: string, accept: boolean) {
      return auditedTransaction(ctx, actor, 'tac.respond', async (trx, now) => {
        if (!isUuid(tacId)) return notFound('tac.respond', tacId)
        const inv = await trx.selectFrom('tac_member').select(['id']).where('partnership_id', '=', actor.partnershipId).where('tac_id', '=', tacId).where('membership_id', '=', actor.membershipId).where('status', '=', 'invited').forUpdate().executeTakeFirst()
        if (!inv) {
          // the same answer sent again (a double click, a refresh) after it was recorded: the same outcome, once
          const answered = await trx.selectFrom('tac_member').select('status').where('partnership_id', '=', actor.partnershipId).where('tac_id', '=', tacId).where('membership_id', '=', actor.membershipId).where('status', '=', accept ? 'joined' : 'declined').executeTakeFirst()
          if (!answered) return notFound('tac.respond', tacId)
          return { result: { joined: accept }, audit: { action: 'tac.respond', outcome: 'success' as const, entityType: 'tac', entityId: tacId, details: { accepted: accept, replay: true } } }
        }
        const t = await trx.selectFrom('tac').select(['status']).where('id', '=', tacId).forUpdate().executeTakeFirstOrThrow()
        if (t.status === 'closed') throw new RefusedError('This team around the child has closed')
        const childIds = (await trx.selectFrom('tac_child').select('child_id').where('tac_id', '=', tacId).execute()).map((r) => r.child_id)
        await trx.updateTable('tac_member').set(accept ? { status: 'joined', joined_at: now } : { status: 'declined', left_at: now }).where('id', '=', inv.id).execute()
        if (accept) {
          await grantTeamRelationships(trx, actor.partnershipId, tacId, actor.membershipId, childIds, now, actor.membershipId)
          const me = (await practitioners(trx, now, actor.membershipId))[0]
          await entryFor(trx, now, childIds, tacId, 'tac_member_joined', `${me ? `${me.name} (${me.roleLabel}, ${me.agency})` : 'A practitioner'} joined the team around the child`, 'low')
          await notifyMemberships(trx, actor.partnershipId, (await memberIds(trx, actor.partnershipId, tacId)).filter((m) => m !== actor.membershipId), { kind: 'tac.joined', subjectType: 'tac', subjectId: tacId, link: `/teams/${tacId}` }, now)
        }
        return { result: { joined: accept }, audit: { action: 'tac.respond', outcome: 'success', entityType: 'tac', entityId: tacId, childIds, details: { accepted: accept } } }
      })
    },

    /** Leave the team (access through it ends on the next request), or the lead removes a member. */
    async leave(tacId: string, input: { memberId?: string; reason: string }) {
      return auditedTransaction(ctx, actor, 'tac.leave', async (trx, now) => {
        const tac = await tacForChange(trx, actor, tacId, now)
        if (!tac) return notFound('tac.leave', tacId)
        const m = await trx
          .selectFrom('tac_member')
          .select(['id', 'membership_id', 'status'])
          .where('tac_id', '=', tacId)
          .where('status', 'in', ['joined', 'invited'])
          .where((eb) => (input.memberId ? (isUuid(input.memberId) ? eb('id', '=', input.memberId) : eb.val(false)) : eb('membership_id', '=', actor.membershipId)))
          .executeTakeFirst()
        if (!m) throw new RefusedError('That person is not a member of this team')
        if (m.membership_id !== actor.membershipId && !tac.isLead) throw new RefusedError('Only the lead practitioner can remove someone else from the team')
        if (m.membership_id === tac.leadMembershipId) throw new RefusedError('The lead practitioner cannot leave: hand the lead to another member first')
        await trx.updateTable('tac_member').set({ status: 'left', left_at: now, left_reason: input.reason }).where('id', '=', m.id).execute()
        await endTeamRelationships(trx, actor.partnershipId, tacId, m.membership_id, now)
        if (m.status === 'joined') {
          const who = (await practitioners(trx, now, m.membership_id))[0]
          await entryFor(trx, now, tac.childIds, tacId, 'tac_member_left', `${who ? `${who.name} (${who.agency})` : 'A practitioner'} left the team around the child: ${input.reason}`, 'low')
        }
        return { result: { ok: true }, audit: { action: 'tac.leave', outcome: 'success', entityType: 'tac', entityId: tacId, childIds: tac.childIds, details: { membership: m.membership_id } } }
      })
    },

    /**
     * A member's role in the team and their duties (the member, or the lead for anyone); row_version guards the edit:
     * a form opened before someone else saved comes back as the conflict, with their version, and nothing is saved.
     */
    async setRole(tacId: string, memberId: string, input: { teamRole: string; duties: string; rowVersion: number }) {
      return auditedTransaction<{ ok: true } | { conflict: MemberRoleConflict; of: 'member' } | null>(ctx, actor, 'tac.role', async (trx, now) => {
        const tac = await tacForChange(trx, actor, tacId, now)
        if (!tac || !isUuid(memberId)) return notFound('tac.role', tacId)
        const m = await trx
          .selectFrom('tac_member as tm')
          .innerJoin('membership as ms', 'ms.id', 'tm.membership_id')
          .innerJoin('practitioner as p', 'p.id', 'ms.practitioner_id')
          .select(['tm.id', 'tm.membership_id', 'tm.team_role', 'tm.duties', 'tm.row_version', 'p.given_name', 'p.family_name'])
          .where('tm.partnership_id', '=', actor.partnershipId)
          .where('tm.tac_id', '=', tacId)
          .where('tm.id', '=', memberId)
          .where('tm.status', 'in', ['joined', 'invited'])
          .forUpdate('tm')
          .executeTakeFirst()
        if (!m) return notFound('tac.role', tacId)
        if (m.membership_id !== actor.membershipId && !tac.isLead) throw new RefusedError('Only the lead practitioner can change someone else’s role')
        if (m.row_version !== input.rowVersion) {
          const conflict = { id: m.id, name: `${m.given_name} ${m.family_name}`, team_role: m.team_role, duties: m.duties, row_version: m.row_version }
          return { result: { conflict, of: 'member' as const }, audit: { action: 'tac.role', outcome: 'refused', entityType: 'tac', entityId: tacId, childIds: tac.childIds, details: { conflict: true, member: m.id, had: input.rowVersion, now: m.row_version } } }
        }
        await trx.updateTable('tac_member').set({ team_role: input.teamRole, duties: input.duties, row_version: sql`row_version + 1` }).where('id', '=', m.id).execute()
        return { result: { ok: true as const }, audit: { action: 'tac.role', outcome: 'success', entityType: 'tac', entityId: tacId, childIds: tac.childIds } }
      })
    },

    /** Hand the lead to another joined member. */
    async handOver(tacId: string, membershipId: string, reason: string) {
      return auditedTransaction(ctx, actor, 'tac.lead', async (trx, now) => {
        const tac = await tacForChange(trx, actor, tacId, now)
        if (!tac) return notFound('tac.lead', tacId)
        if (!tac.isLead) throw new RefusedError('Only the lead practitioner can hand over the lead')
        const m = isUuid(membershipId) ? await tacMembersInPostQuery(trx, actor.partnershipId, tacId, now).select('m.id').where('m.id', '=', membershipId).executeTakeFirst() : undefined
        if (!m) throw new RefusedError('Choose a member of the team in post to take over the lead')
        await trx.updateTable('tac').set({ lead_membership_id: membershipId, row_version: sql`row_version + 1` }).where('id', '=', tacId).execute()
        const who = (await practitioners(trx, now, membershipId))[0]
        await entryFor(trx, now, tac.childIds, tacId, 'tac_lead_changed', `The lead practitioner is now ${who ? `${who.name} (${who.roleLabel}, ${who.agency})` : 'another member'}: ${reason}`, 'medium')
        await notifyMemberships(trx, actor.partnershipId, [membershipId], { kind: 'tac.lead', subjectType: 'tac', subjectId: tacId, link: `/teams/${tacId}` }, now)
        return { result: { ok: true }, audit: { action: 'tac.lead', outcome: 'success', entityType: 'tac', entityId: tacId, childIds: tac.childIds } }
      })
    },

    /** A family member, their views and their agreement to the plan (or why not); row_version guards edits. */
    async saveFamilyMember(tacId: string, input: { id?: string; rowVersion?: number; name: string; relationship: string; views: string; agreement: 'agreed' | 'not_agreed' | 'not_asked'; agreementNote: string }) {
      return auditedTransaction<{ id?: string; conflict?: Selectable<TacFamilyMemberTable> } | null>(ctx, actor, 'tac.family', async (trx, now) => {
        const tac = await tacForChange(trx, actor, tacId, now)
        if (!tac) return notFound('tac.family', tacId)
        if (input.agreement === 'not_agreed' && !input.agreementNote) throw new RefusedError('Say why they do not agree to the plan')
        let id = input.id
        let before: { agreement: string } | undefined
        if (id) {
          if (!isUuid(id)) return notFound('tac.family', tacId)
          const row = await trx.selectFrom('tac_family_member').selectAll().where('tac_id', '=', tacId).where('id', '=', id).forUpdate().executeTakeFirst()
          if (!row) return notFound('tac.family', tacId)
          if (row.row_version !== input.rowVersion) return { result: { conflict: row }, audit: { action: 'tac.family', outcome: 'refused', entityType: 'tac', entityId: tacId, childIds: tac.childIds, details: { conflict: true } } }
          before = row
          await trx
            .updateTable('tac_family_member')
            .set({ name: input.name, relationship: input.relationship, views: input.views, agreement: input.agreement, agreement_note: input.agreementNote || null, recorded_by: actor.membershipId, recorded_at: now, row_version: sql`row_version + 1` })
            .where('id', '=', id)
            .execute()
        } else {
          id = randomUUID()
          await trx.insertInto('tac_family_member').values({ id, partnership_id: actor.partnershipId, tac_id: tacId, name: input.name, relationship: input.relationship, views: input.views, agreement: input.agreement, agreement_note: input.agreementNote || null, recorded_by: actor.membershipId, recorded_at: now }).execute()
        }
        if (input.agreement !== 'not_asked' && before?.agreement !== input.agreement) {
          const said = input.agreement === 'agreed' ? 'agrees to the plan' : `does not agree to the plan: ${input.agreementNote}`
          await entryFor(trx, now, tac.childIds, tacId, 'plan_agreement', `${input.name} (${input.relationship}) ${said}`, input.agreement === 'agreed' ? 'low' : 'medium')
        }
        return { result: { id }, audit: { action: 'tac.family', outcome: 'success', entityType: 'tac', entityId: tacId, childIds: tac.childIds } }
      })
    },

    /** Step up or down a level with the reasons, or close the team with a reason (team relationships end). */
    async changeLevel(tacId: string, input: { to: TacLevel | 'closed'; reason: string; rowVersion: number }) {
      return auditedTransaction(ctx, actor, 'tac.level', async (trx, now) => {
        const tac = await tacForChange(trx, actor, tacId, now)
        if (!tac) return notFound('tac.level', tacId)
        if (!tac.isLead && !['team_manager', 'social_worker'].includes(actor.role)) throw new RefusedError('The lead practitioner, or social care, changes the level of a team')
        if (tac.rowVersion !== input.rowVersion) throw new RefusedError('Someone else changed this team while you were deciding: check its level and history below, then decide again')
        if (await cpPlanInPlace(trx, actor.partnershipId, tacId)) throw new RefusedError('A child protection plan is in place: only a review conference can end it (record it on the child protection page)')
        if (input.to === 'closed') {
          const { closedAssessments } = await closeTac(trx, actor, now, tac, input.reason)
          return { result: { ok: true }, audit: { action: 'tac.level', outcome: 'success', entityType: 'tac', entityId: tacId, childIds: tac.childIds, details: { to: 'closed', ...(closedAssessments.length ? { closedAssessments } : {}) } } }
        }
        if (input.to === tac.level) throw new RefusedError(`The team is already at ${LEVEL_LABELS[tac.level].toLowerCase()}`)
        if (input.to === 'child_protection') throw new RefusedError('A child protection plan is decided by an initial child protection conference: record the strategy discussion on the child protection page')
        const kind = rank(input.to) > rank(tac.level) ? 'step_up' : 'step_down'
        await trx.updateTable('tac').set({ level: input.to, row_version: sql`row_version + 1` }).where('id', '=', tacId).execute()
        await trx.insertInto('level_change').values({ id: randomUUID(), partnership_id: actor.partnershipId, tac_id: tacId, from_level: tac.level, to_level: input.to, kind, reason: input.reason, decided_by: actor.membershipId, decided_at: now }).execute()
        await entryFor(trx, now, tac.childIds, tacId, 'level_change', `${kind === 'step_up' ? 'Stepped up' : 'Stepped down'} from ${LEVEL_LABELS[tac.level].toLowerCase()} to ${LEVEL_LABELS[input.to].toLowerCase()}: ${input.reason}`, kind === 'step_up' ? 'high' : 'medium')
        await notifyMemberships(trx, actor.partnershipId, (await memberIds(trx, actor.partnershipId, tacId)).filter((m) => m !== actor.membershipId), { kind: 'tac.level', subjectType: 'tac', subjectId: tacId, link: `/teams/${tacId}` }, now)
        return { result: { ok: true }, audit: { action: 'tac.level', outcome: 'success', entityType: 'tac', entityId: tacId, childIds: tac.childIds, details: { to: input.to, kind } } }
      })
    },
  }
}
