// Practitioner administration. An agency admin administers the people who hold (or held) a membership in their
// agency, and only their agency's memberships; a partnership admin administers every agency. Out of scope is
// not found. Every action is audited; none of it is case content, except reassigning a leaver's children, whose
// audit row names the children.
import { randomBytes, randomUUID } from 'node:crypto'
import { sql, type Transaction } from 'kysely'
import { isRole, ROLES, type Role } from '../../access/policy.ts'
import { hashPassword } from '../../platform/auth/passwords.ts'
import type { Actor } from '../actor.ts'
import { currentMembershipsQuery, inPost, membershipNames, membershipsInPostOf } from '../memberships.ts'
import { writeTacEntries } from '../../modules/tac/access.ts'
import { concernsWaitingOn, handedOnAudit } from '../../modules/concerns/repository.ts'
import type { DB } from '../schema.ts'
import { auditedTransaction, FieldRefusedError, RefusedError, type Ctx } from '../unit-of-work.ts'
import { isUuid } from './children.ts'

/** A one-time temporary password an administrator gives in person or by phone: 19 characters, 96 bits of chance. */
const newTemporaryPassword = () => `${randomBytes(9).toString('base64url')}-${randomBytes(3).toString('hex')}`

export interface NewPractitioner {
  email: string
  givenName: string
  familyName: string
  jobTitle: string
  phone: string | null
  role: string
  teamId: string | null
  agencyId: string | null
}

export function adminRepository(ctx: Ctx, actor: Actor) {
  const partnershipAdmin = actor.role === 'partnership_admin'
  const isAdmin = partnershipAdmin || actor.role === 'agency_admin'

  /** Practitioners in scope: anyone with a membership (current or ended) in my agency, or anyone (partnership admin). */
  function practitionersInScope(trx: Transaction<DB>) {
    let q = trx.selectFrom('practitioner as p').where('p.partnership_id', '=', actor.partnershipId)
    if (!partnershipAdmin) q = q.where((eb) => eb.exists(eb.selectFrom('membership as m').select('m.id').whereRef('m.practitioner_id', '=', 'p.id').where('m.agency_id', '=', actor.agencyId)))
    return q
  }

  async function inScope(trx: Transaction<DB>, practitionerId: string) {
    if (!isAdmin || !isUuid(practitionerId)) return undefined
    return practitionersInScope(trx).select(['p.id', 'p.email', 'p.given_name', 'p.family_name', 'p.disabled_at']).where('p.id', '=', practitionerId).executeTakeFirst()
  }

  async function membershipInScope(trx: Transaction<DB>, membershipId: string) {
    if (!isAdmin || !isUuid(membershipId)) return undefined
    let q = trx.selectFrom('membership').selectAll().where('partnership_id', '=', actor.partnershipId).where('id', '=', membershipId)
    if (!partnershipAdmin) q = q.where('agency_id', '=', actor.agencyId)
    return q.executeTakeFirst()
  }

  /**
   * Only a partnership administrator acts on a partnership administrator's account. An agency administrator manages
   * everyone with a membership in their agency, and a partnership administrator usually holds one; without this they
   * could disable, or reset the authenticator of, the people who govern their own role.
   */
  async function refuseIfOutranked(trx: Transaction<DB>, practitionerId: string, now: Date) {
    if (partnershipAdmin) return
    // by the membership's dates alone: a disabled partnership administrator is not enabled again by an agency's
    const held = await trx
      .selectFrom('membership')
      .select('id')
      .where('partnership_id', '=', actor.partnershipId)
      .where('practitioner_id', '=', practitionerId)
      .where('role', '=', 'partnership_admin')
      .where('starts_at', '<=', now)
      .where((eb) => eb.or([eb('ends_at', 'is', null), eb('ends_at', '>', now)]))
      .executeTakeFirst()
    if (held) throw new RefusedError('A partnership administrator’s account is managed by another partnership administrator')
  }

  async function checkRoleAndTeam(trx: Transaction<DB>, role: string, teamId: string | null, agencyId: string) {
    if (!isRole(role)) throw new RefusedError('Choose a role from the list')
    if (role === 'partnership_admin' && !partnershipAdmin) throw new RefusedError('Only a partnership administrator can grant the partnership administrator role')
    if (teamId) {
      const team = isUuid(teamId) ? await trx.selectFrom('team').select('id').where('id', '=', teamId).where('agency_id', '=', agencyId).where('partnership_id', '=', actor.partnershipId).executeTakeFirst() : undefined
      if (!team) throw new FieldRefusedError('Choose a team of the agency', 'teamId')
    }
  }

  /**
   * A leaver's seats in open teams around the child pass to the colleague: the leaver leaves each team, the colleague
   * joins it in the same role (if not already a member) and takes the lead where the leaver led — each written to the
   * children's chronologies. Without it a team kept a lead nobody could act as, and the colleague held the children's
   * team relationships without being in the team.
   */
  async function takeOverTeams(trx: Transaction<DB>, fromId: string, toId: string, reason: string, now: Date): Promise<{ id: string; childIds: string[] }[]> {
    const P = actor.partnershipId
    const seats = await trx
      .selectFrom('tac_member as tm')
      .innerJoin('tac as t', (j) => j.onRef('t.id', '=', 'tm.tac_id').on('t.partnership_id', '=', P))
      .select(['tm.id', 'tm.tac_id', 'tm.team_role', 'tm.duties', 't.lead_membership_id'])
      .where('tm.partnership_id', '=', P)
      .where('tm.membership_id', '=', fromId)
      .where('tm.status', '=', 'joined')
      .where('t.status', '=', 'open')
      .execute()
    if (!seats.length) return []
    // what every seat needs, read once for them all: names, each team's children, the colleague's own rows
    const tacIds = seats.map((t) => t.tac_id)
    const [names, kids, colleagueRows] = await Promise.all([
      membershipNames(trx, P, [fromId, toId]),
      trx.selectFrom('tac_child').select(['tac_id', 'child_id']).where('partnership_id', '=', P).where('tac_id', 'in', tacIds).execute(),
      trx.selectFrom('tac_member').select(['id', 'tac_id', 'status']).where('partnership_id', '=', P).where('tac_id', 'in', tacIds).where('membership_id', '=', toId).execute(),
    ])
    const leaver = names.get(fromId) ?? 'A practitioner'
    const colleague = names.get(toId) ?? 'A colleague'
    await trx.updateTable('tac_member').set({ status: 'left', left_at: now, left_reason: `Left (reassigned by an administrator): ${reason}` }).where('id', 'in', seats.map((t) => t.id)).execute()
    const out: { id: string; childIds: string[] }[] = []
    for (const seat of seats) {
      const childIds = kids.filter((k) => k.tac_id === seat.tac_id).map((k) => k.child_id)
      const mine = colleagueRows.find((r) => r.tac_id === seat.tac_id)
      if (!mine) {
        await trx.insertInto('tac_member').values({ id: randomUUID(), partnership_id: P, tac_id: seat.tac_id, membership_id: toId, team_role: seat.team_role, duties: seat.duties, status: 'joined', invited_by: actor.membershipId, invited_at: now, joined_at: now }).execute()
      } else if (mine.status !== 'joined') {
        await trx.updateTable('tac_member').set({ status: 'joined', team_role: seat.team_role, duties: seat.duties, joined_at: now, left_at: null, left_reason: null }).where('id', '=', mine.id).execute()
      }
      const entry = (type: string, summary: string, significance: 'low' | 'medium') => writeTacEntries(trx, actor, now, childIds, { type, summary, significance, occurredAt: now, detailType: 'tac', detailId: seat.tac_id })
      await entry('tac_member_left', `${leaver} left the team around the child: ${reason}`, 'low')
      if (mine?.status !== 'joined') await entry('tac_member_joined', `${colleague} joined the team around the child in ${leaver}’s place`, 'low')
      if (seat.lead_membership_id === fromId) {
        await trx.updateTable('tac').set({ lead_membership_id: toId, row_version: sql`row_version + 1` }).where('id', '=', seat.tac_id).where('partnership_id', '=', P).execute()
        await entry('tac_lead_changed', `The lead practitioner is now ${colleague}: ${leaver} has left (${reason})`, 'medium')
      }
      out.push({ id: seat.tac_id, childIds })
    }
    return out
  }

  async function endSessions(trx: Transaction<DB>, practitionerId: string, reason: string, now: Date) {
    await trx.updateTable('session').set({ ended_at: now, end_reason: reason }).where('practitioner_id', '=', practitionerId).where('ended_at', 'is', null).execute()
  }

  return {
    async options() {
      return ctx.db.transaction().execute(async (trx) => {
        let agencies = trx.selectFrom('agency').select(['id', 'name']).where('partnership_id', '=', actor.partnershipId).orderBy('name')
        if (!partnershipAdmin) agencies = agencies.where('id', '=', actor.agencyId)
        const a = await agencies.execute()
        const teams = await trx.selectFrom('team').select(['id', 'name', 'agency_id']).where('partnership_id', '=', actor.partnershipId).where('agency_id', 'in', a.length ? a.map((x) => x.id) : [actor.agencyId]).orderBy('name').execute()
        return { agencies: a, teams, roles: ROLES.filter((r) => partnershipAdmin || r !== 'partnership_admin') as Role[] }
      })
    },

    async list() {
      return auditedTransaction(ctx, actor, 'practitioner.list', async (trx, now) => {
        if (!isAdmin) return { result: [], audit: { action: 'practitioner.list', outcome: 'success' } }
        const people = await practitionersInScope(trx).select(['p.id', 'p.email', 'p.given_name', 'p.family_name', 'p.disabled_at', 'p.totp_enrolled_at', 'p.locked_until']).orderBy('p.family_name').orderBy('p.given_name').execute()
        const memberships = people.length
          ? await trx
              .selectFrom('membership as m')
              .innerJoin('agency as a', 'a.id', 'm.agency_id')
              .leftJoin('team as t', 't.id', 'm.team_id')
              .select(['m.practitioner_id', 'm.role', 'a.name as agency', 't.name as team'])
              .where('m.practitioner_id', 'in', people.map((p) => p.id))
              .where((eb) => eb.or([eb('m.ends_at', 'is', null), eb('m.ends_at', '>', now)]))
              .execute()
          : []
        const result = people.map((p) => ({ ...p, memberships: memberships.filter((m) => m.practitioner_id === p.id) }))
        return { result, audit: { action: 'practitioner.list', outcome: 'success', details: { count: result.length } } }
      })
    },

    async get(practitionerId: string) {
      return auditedTransaction(ctx, actor, 'practitioner.view', async (trx, now) => {
        const p = await inScope(trx, practitionerId)
        if (!p) return { result: null, audit: { action: 'practitioner.view', outcome: 'not_found' as const, entityId: practitionerId } }
        const full = await trx.selectFrom('practitioner').select(['id', 'email', 'given_name', 'family_name', 'job_title', 'phone', 'disabled_at', 'totp_enrolled_at', 'locked_until', 'created_at']).where('id', '=', practitionerId).executeTakeFirstOrThrow()
        const memberships = await trx
          .selectFrom('membership as m')
          .innerJoin('agency as a', 'a.id', 'm.agency_id')
          .leftJoin('team as t', 't.id', 'm.team_id')
          .select(['m.id', 'm.role', 'm.agency_id', 'a.name as agency', 't.name as team', 'm.starts_at', 'm.ends_at'])
          .where('m.practitioner_id', '=', practitionerId)
          .orderBy('m.starts_at')
          .execute()
        const sessions = await trx.selectFrom('session').select((eb) => eb.fn.countAll<number>().as('n')).where('practitioner_id', '=', practitionerId).where('ended_at', 'is', null).where('expires_at', '>', now).executeTakeFirstOrThrow()
        // `in` needs at least one value: an id no membership has stands in for none
        const membershipIds = memberships.length ? memberships.map((m) => m.id) : ['00000000-0000-0000-0000-000000000000']
        const held = await trx
          .selectFrom('relationship')
          .select(['holder_membership_id', (eb) => eb.fn.countAll<number>().as('n')])
          .where('partnership_id', '=', actor.partnershipId)
          .where('holder_membership_id', 'in', membershipIds)
          .where('type', 'in', ['allocated_worker', 'team_member'])
          .where((eb) => eb.or([eb('ends_at', 'is', null), eb('ends_at', '>', now)]))
          .groupBy('holder_membership_id')
          .execute()
        // open teams around the child each membership leads: a leaver's teams need a lead who can act
        const led = await trx
          .selectFrom('tac')
          .select(['lead_membership_id', (eb) => eb.fn.countAll<number>().as('n')])
          .where('partnership_id', '=', actor.partnershipId)
          .where('lead_membership_id', 'in', membershipIds)
          .where('status', '=', 'open')
          .groupBy('lead_membership_id')
          .execute()
        const canManage = (agencyId: string) => partnershipAdmin || agencyId === actor.agencyId
        return {
          result: {
            practitioner: full,
            memberships: memberships.map((m) => ({
              ...m,
              current: !m.ends_at || m.ends_at > now,
              children: Number(held.find((h) => h.holder_membership_id === m.id)?.n ?? 0),
              teamsLed: Number(led.find((l) => l.lead_membership_id === m.id)?.n ?? 0),
              manageable: canManage(m.agency_id),
            })),
            liveSessions: Number(sessions.n),
          },
          audit: { action: 'practitioner.view', outcome: 'success', entityType: 'practitioner', entityId: practitionerId },
        }
      })
    },

    /** A new practitioner with a one-time temporary password; they set up their authenticator at first sign-in. */
    async create(input: NewPractitioner) {
      return auditedTransaction(ctx, actor, 'practitioner.create', async (trx, now) => {
        if (!isAdmin) return { result: null, audit: { action: 'practitioner.create', outcome: 'not_found' as const } }
        const agencyId = partnershipAdmin && input.agencyId ? input.agencyId : actor.agencyId
        if (!isUuid(agencyId)) throw new FieldRefusedError('Choose an agency', 'agencyId')
        const agency = await trx.selectFrom('agency').select('id').where('id', '=', agencyId).where('partnership_id', '=', actor.partnershipId).executeTakeFirst()
        if (!agency) throw new FieldRefusedError('Choose an agency', 'agencyId')
        await checkRoleAndTeam(trx, input.role, input.teamId, agencyId)
        const email = input.email.trim().toLowerCase()
        const taken = await trx.selectFrom('practitioner').select('id').where((eb) => eb(eb.fn('lower', ['email']), '=', email)).executeTakeFirst()
        if (taken) throw new FieldRefusedError('Someone already uses that email address', 'email')
        const temporaryPassword = newTemporaryPassword()
        const id = randomUUID()
        await trx
          .insertInto('practitioner')
          .values({ id, partnership_id: actor.partnershipId, email, given_name: input.givenName, family_name: input.familyName, job_title: input.jobTitle, phone: input.phone, password_hash: await hashPassword(temporaryPassword), must_change_password: true, totp_secret: null, created_at: now })
          .execute()
        await trx.insertInto('membership').values({ id: randomUUID(), partnership_id: actor.partnershipId, practitioner_id: id, agency_id: agencyId, team_id: input.teamId, role: input.role, starts_at: now, ends_at: null, created_at: now }).execute()
        return { result: { id, temporaryPassword }, audit: { action: 'practitioner.create', outcome: 'success', entityType: 'practitioner', entityId: id, details: { role: input.role, agencyId } } }
      })
    },

    /** Disabling ends every session at once (the next request is refused). */
    async setDisabled(practitionerId: string, disabled: boolean, reason: string) {
      const action = disabled ? 'practitioner.disable' : 'practitioner.enable'
      return auditedTransaction(ctx, actor, action, async (trx, now) => {
        const p = await inScope(trx, practitionerId)
        if (!p) return { result: null, audit: { action, outcome: 'not_found' as const, entityId: practitionerId } }
        if (practitionerId === actor.practitionerId) throw new RefusedError('You cannot disable your own account')
        await refuseIfOutranked(trx, practitionerId, now)
        // the practitioner's row first, as a wrong second-factor code takes it (auth's wrongCode) before the
        // partnership's hand-on lock (concernsWaitingOn): the same order, so the two never wait on each other
        await trx.selectFrom('practitioner').select('id').where('id', '=', practitionerId).forUpdate().execute()
        // the concerns waiting on them now, so that whoever stands in once they are not in post is told
        const waiting = disabled ? await concernsWaitingOn(trx, actor.partnershipId, await membershipsInPostOf(trx, actor.partnershipId, practitionerId, now), now) : null
        await trx.updateTable('practitioner').set({ disabled_at: disabled ? now : null, failed_sign_ins: 0, failed_second_factors: 0, locked_until: null }).where('id', '=', practitionerId).execute()
        if (disabled) await endSessions(trx, practitionerId, 'disabled', now)
        // the concerns handed on to those who stand in, named in the audit row with their children
        const handedOn = (await waiting?.tell()) ?? []
        const handed = handedOnAudit(handedOn)
        return { result: { ok: true }, audit: { action, outcome: 'success', entityType: 'practitioner', entityId: practitionerId, ...(handed.childIds ? { childIds: handed.childIds } : {}), details: { reason, ...handed.details } } }
      })
    },

    /**
     * A forgotten password (or a locked account): a new one-time temporary password, shown once to the administrator;
     * every session ends, the lock-out is lifted, and at their next sign-in (with their own authenticator) they choose
     * their own before anything else. Their own password an administrator changes at /account/password.
     */
    async resetPassword(practitionerId: string, reason: string) {
      return auditedTransaction(ctx, actor, 'practitioner.reset-password', async (trx, now) => {
        const p = await inScope(trx, practitionerId)
        if (!p) return { result: null, audit: { action: 'practitioner.reset-password', outcome: 'not_found' as const, entityId: practitionerId } }
        if (practitionerId === actor.practitionerId) throw new RefusedError('Change your own password from the Password link at the top of the page')
        await refuseIfOutranked(trx, practitionerId, now)
        const temporaryPassword = newTemporaryPassword()
        await trx
          .updateTable('practitioner')
          .set({ password_hash: await hashPassword(temporaryPassword), must_change_password: true, failed_sign_ins: 0, failed_second_factors: 0, locked_until: null })
          .where('id', '=', practitionerId)
          .where('partnership_id', '=', actor.partnershipId)
          .execute()
        await endSessions(trx, practitionerId, 'password-reset', now)
        return { result: { id: practitionerId, name: `${p.given_name} ${p.family_name}`, email: p.email, disabled: p.disabled_at !== null, temporaryPassword }, audit: { action: 'practitioner.reset-password', outcome: 'success', entityType: 'practitioner', entityId: practitionerId, details: { reason } } }
      })
    },

    /** A lost authenticator: the secret and any passkeys are removed and sessions end; the next sign-in enrols again. */
    async resetMfa(practitionerId: string, reason: string) {
      return auditedTransaction(ctx, actor, 'practitioner.reset-mfa', async (trx, now) => {
        const p = await inScope(trx, practitionerId)
        if (!p) return { result: null, audit: { action: 'practitioner.reset-mfa', outcome: 'not_found' as const, entityId: practitionerId } }
        await refuseIfOutranked(trx, practitionerId, now)
        await trx.updateTable('practitioner').set({ totp_secret: null, totp_enrolled_at: null, totp_last_step: null, failed_second_factors: 0 }).where('id', '=', practitionerId).execute()
        const passkeys = await trx.deleteFrom('passkey').where('partnership_id', '=', actor.partnershipId).where('practitioner_id', '=', practitionerId).executeTakeFirst()
        await endSessions(trx, practitionerId, 'mfa-reset', now)
        return { result: { ok: true }, audit: { action: 'practitioner.reset-mfa', outcome: 'success', entityType: 'practitioner', entityId: practitionerId, details: { reason, passkeysRemoved: Number(passkeys.numDeletedRows) } } }
      })
    },

    async addMembership(practitionerId: string, input: { role: string; teamId: string | null; agencyId: string | null }) {
      return auditedTransaction(ctx, actor, 'membership.add', async (trx, now) => {
        const p = await inScope(trx, practitionerId)
        if (!p) return { result: null, audit: { action: 'membership.add', outcome: 'not_found' as const, entityId: practitionerId } }
        // an administrator is in their own scope, but a role they give themselves (a DSL's, a social worker's) would
        // be case reach nobody else agreed to: another administrator grants it
        if (practitionerId === actor.practitionerId) throw new RefusedError('You cannot give yourself a role: ask another administrator')
        const agencyId = partnershipAdmin && input.agencyId && isUuid(input.agencyId) ? input.agencyId : actor.agencyId
        await checkRoleAndTeam(trx, input.role, input.teamId, agencyId)
        const id = randomUUID()
        await trx.insertInto('membership').values({ id, partnership_id: actor.partnershipId, practitioner_id: practitionerId, agency_id: agencyId, team_id: input.teamId, role: input.role, starts_at: now, ends_at: null, created_at: now }).execute()
        return { result: { id }, audit: { action: 'membership.add', outcome: 'success', entityType: 'membership', entityId: id, details: { practitionerId, role: input.role } } }
      })
    },

    /** Ends a membership now: its reach ends at the practitioner's next request. */
    async endMembership(membershipId: string, reason: string) {
      return auditedTransaction(ctx, actor, 'membership.end', async (trx, now) => {
        const m = await membershipInScope(trx, membershipId)
        if (!m) return { result: null, audit: { action: 'membership.end', outcome: 'not_found' as const, entityId: membershipId } }
        if (m.ends_at && m.ends_at <= now) throw new RefusedError('This membership has already ended')
        if (m.role === 'partnership_admin' && !partnershipAdmin) throw new RefusedError('Only a partnership administrator can end the partnership administrator role')
        // the concerns waiting on this membership now: whoever stands in once it has ended is told
        const waiting = await concernsWaitingOn(trx, actor.partnershipId, [membershipId], now)
        await trx.updateTable('membership').set({ ends_at: now }).where('id', '=', membershipId).execute()
        const handedOn = await waiting.tell()
        const handed = handedOnAudit(handedOn)
        return { result: { practitionerId: m.practitioner_id }, audit: { action: 'membership.end', outcome: 'success', entityType: 'membership', entityId: membershipId, ...(handed.childIds ? { childIds: handed.childIds } : {}), details: { reason, ...handed.details } } }
      })
    },

    /** A leaver's children move to a colleague: the old relationships end (history kept), new ones start. */
    async reassignChildren(fromMembershipId: string, toMembershipId: string, reason: string) {
      return auditedTransaction(ctx, actor, 'relationship.reassign', async (trx, now) => {
        const from = await membershipInScope(trx, fromMembershipId)
        const to = await membershipInScope(trx, toMembershipId)
        if (!from || !to) return { result: null, audit: { action: 'relationship.reassign', outcome: 'not_found' as const, entityId: fromMembershipId } }
        if (from.id === to.id) throw new RefusedError('Choose a different colleague to move the children to')
        // only to someone in post (the list offered is colleagues(); a crafted form must not reach further): not an
        // ended or not yet started membership, nor a disabled account — children allocated to nobody who can act
        if (!(await inPost(trx, actor.partnershipId, to.id, now))) throw new RefusedError('The colleague is not in post: their membership has ended or not yet started, or their account is disabled')
        const rels = await trx
          .selectFrom('relationship')
          .selectAll()
          .where('partnership_id', '=', actor.partnershipId)
          .where('holder_membership_id', '=', from.id)
          .where('type', 'in', ['allocated_worker', 'team_member'])
          .where('starts_at', '<=', now)
          .where((eb) => eb.or([eb('ends_at', 'is', null), eb('ends_at', '>', now)]))
          .execute()
        for (const r of rels) {
          await trx.updateTable('relationship').set({ ends_at: now }).where('id', '=', r.id).execute()
          await trx
            .insertInto('relationship')
            // a team member's relationship keeps its team (`tac:<id>`), so that it ends when the colleague leaves the team
            .values({ id: randomUUID(), partnership_id: actor.partnershipId, child_id: r.child_id, type: r.type, holder_agency_id: null, holder_team_id: null, holder_membership_id: to.id, starts_at: now, ends_at: null, source: r.type === 'team_member' && r.source?.startsWith('tac:') ? r.source : 'reassigned', reason: `Reassigned from a leaver: ${reason}`, created_by_membership_id: actor.membershipId, created_at: now })
            .execute()
        }
        const teams = await takeOverTeams(trx, from.id, to.id, reason, now)
        return { result: { moved: rels.length, teams: teams.length, practitionerId: from.practitioner_id }, audit: { action: 'relationship.reassign', outcome: 'success', entityType: 'membership', entityId: from.id, childIds: [...new Set([...rels.map((r) => r.child_id), ...teams.flatMap((t) => t.childIds)])], details: { to: to.id, reason, teams: teams.map((t) => t.id) } } }
      })
    },

    /** Whose role (membership) this is, when it is in my scope: the page a refusal about the role is shown on. */
    async practitionerOfMembership(membershipId: string): Promise<string | null> {
      return ctx.db.transaction().execute(async (trx) => (await membershipInScope(trx, membershipId))?.practitioner_id ?? null)
    },

    /** Colleagues' memberships in my scope, to move children to. */
    async colleagues() {
      let q = currentMembershipsQuery(ctx.db, actor.partnershipId, ctx.clock.now())
        .innerJoin('agency as a', 'a.id', 'm.agency_id')
        .select(['m.id', 'm.role', 'p.given_name', 'p.family_name', 'a.name as agency'])
        // not someone with a leaving date either: a leaver's children would only have to move again
        .where('m.ends_at', 'is', null)
        .orderBy('p.family_name')
      if (!partnershipAdmin) q = q.where('m.agency_id', '=', actor.agencyId)
      return isAdmin ? q.execute() : []
    },
  }
}
