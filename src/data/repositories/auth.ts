// Sign-in and sessions: the named repository that acts before a practitioner is known. Every sign-in success
// and failure writes exactly one audit row (failures in their own transaction, so nothing can roll them back).
import { createHash, randomBytes } from 'node:crypto'
import { sql, type InferResult, type Kysely, type Transaction } from 'kysely'
import { statementCache } from '../compiled-statements.ts'
import { isRole, type Role } from '../../access/policy.ts'
import type { Actor } from '../actor.ts'
import { writeAudit, type AuditActor } from '../audit.ts'
import { currentMembershipsQuery, membershipsInPostOf } from '../memberships.ts'
import { concernsWaitingOn, handedOnAudit, type HandedOn } from '../../modules/concerns/repository.ts'
import { notifyMemberships } from '../notify.ts'
import type { DB } from '../schema.ts'
import type { Ctx } from '../unit-of-work.ts'
import { passkeyRepository } from './passkeys.ts'
import { hashPassword, verifyPassword } from '../../platform/auth/passwords.ts'

export const IDLE_MINUTES = 30
export const ABSOLUTE_HOURS = 12
export const MAX_FAILED_SIGN_INS = 5
export const LOCKOUT_MINUTES = 15
/**
 * Consecutive wrong second-factor codes (at sign-in, at enrolment, and wherever the code is asked again) that lock the
 * account for LOCKOUT_MINUTES, as the password does. Five, like the password: whoever reaches the code already has the
 * password, so every guess is a real attempt (about 3 in a million of being right: ±1 step of a six-digit code), and a
 * real user, reading the code off their phone, rarely gets it wrong five times running. The count is not reset by
 * the lock (as failed_sign_ins is not): each wrong code after it locks the account again, so after the first five a
 * guesser gets one code per lockout period, every one audited, until SUSPEND_AFTER_SECOND_FACTORS suspends the
 * account. Only a second factor that succeeds resets it.
 */
export const MAX_FAILED_SECOND_FACTORS = 5
/**
 * Consecutive wrong second-factor codes after which the account is suspended (disabled) until an administrator enables
 * it again: the fourth lockout. The lockout alone lets a guesser who has the password try one code every
 * LOCKOUT_MINUTES for ever — 96 a day, past NIST SP 800-63B's limit of 100 consecutive failures within a day or so.
 * A real user who reads the code off their phone does not get twenty wrong without one right between; an account
 * that does is being guessed at, and its administrators are told.
 */
export const SUSPEND_AFTER_SECOND_FACTORS = 20

/**
 * The account is not locked now (by the password or the second factor): a condition on `practitioner` for every
 * statement that spends a code or completes a second factor, so a lock set a moment ago is seen (the row is locked).
 */
export function notLocked(now: Date) {
  return sql<boolean>`(locked_until is null or locked_until <= ${now})`
}

export interface SessionView {
  idHash: string
  partnershipId: string
  practitionerId: string
  membershipId: string | null
  state: 'mfa_enrol' | 'mfa_challenge' | 'passkey_enrol' | 'active'
  pendingTotpSecret: string | null
  /** The second factor that made the session active. */
  secondFactor: 'totp' | 'passkey' | null
  createdAt: Date
  lastSeenAt: Date
  expiresAt: Date
  practitioner: { email: string; givenName: string; familyName: string; totpSecret: string | null; totpLastStep: number | null; mustChangePassword: boolean }
  /** Current memberships (ended ones are gone at the next request), loaded with the session. */
  memberships: MembershipView[]
  /**
   * The practitioner's break-glass accesses running now, by membership and child, loaded with the session so that the
   * banner on a child's pages needs no query of its own (src/modules/breakglass/routes.ts).
   */
  breakGlass: { membershipId: string; childId: string; until: Date }[]
}

interface MembershipRow {
  id: string
  role: string
  agency_id: string
  agency_name: string
  team_id: string | null
  team_name: string | null
}

function toMembershipViews(rows: readonly MembershipRow[]): MembershipView[] {
  return rows.filter((r) => isRole(r.role)).map((r) => ({ id: r.id, role: r.role as Role, agencyId: r.agency_id, agencyName: r.agency_name, teamId: r.team_id, teamName: r.team_name }))
}

export interface MembershipView {
  id: string
  role: Role
  agencyId: string
  agencyName: string
  teamId: string | null
  teamName: string | null
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex')
}

/**
 * The session load every request makes (with the practitioner's current memberships and running break-glass
 * accesses), compiled once and filled in with each request's token hash and time: building and compiling it with
 * Kysely cost the server about as much as running it cost PostgreSQL (src/data/compiled-statements.ts).
 */
const sessionStatements = statementCache({ idHash: '\u0000idHash', now: new Date(0) })

function sessionStatement(db: Kysely<DB>, values: { idHash: string; now: Date }) {
  return sessionStatements.fill('session', ({ idHash, now }) => buildSessionQuery(db, idHash as string, now as Date).compile(), values)
}

function buildSessionQuery(db: Kysely<DB>, idHash: string, now: Date) {
  return db
    .selectFrom('session as s')
    // every request runs it: parsed and planned once per connection (src/data/db.ts PREPARED)
    .modifyFront(sql`/* prepared */`)
    .innerJoin('practitioner as p', 'p.id', 's.practitioner_id')
    .select([
      's.id_hash',
      's.partnership_id',
      's.practitioner_id',
      's.membership_id',
      's.state',
      's.pending_totp_secret',
      's.second_factor',
      's.created_at',
      's.last_seen_at',
      's.expires_at',
      'p.email',
      'p.given_name',
      'p.family_name',
      'p.totp_secret',
      'p.totp_last_step',
      'p.disabled_at',
      'p.must_change_password',
    ])
    // the practitioner's current memberships in the same round trip (every request needs them)
    .select((eb) =>
      eb
        .selectFrom('membership as m')
        .innerJoin('agency as a', 'a.id', 'm.agency_id')
        .leftJoin('team as t', 't.id', 'm.team_id')
        .select(
          sql<MembershipRow[]>`coalesce(json_agg(json_build_object('id', m.id, 'role', m.role, 'agency_id', m.agency_id, 'agency_name', a.name, 'team_id', m.team_id, 'team_name', t.name) order by m.created_at), '[]'::json)`.as('list'),
        )
        .whereRef('m.partnership_id', '=', 's.partnership_id')
        .whereRef('m.practitioner_id', '=', 's.practitioner_id')
        .where('m.starts_at', '<=', now)
        .where((w) => w.or([w('m.ends_at', 'is', null), w('m.ends_at', '>', now)]))
        .as('memberships'),
    )
    // ...and their running break-glass accesses (few: a partial index finds them among all relationships held)
    .select((eb) =>
      eb
        .selectFrom('membership as bm')
        .innerJoin('relationship as r', (j) => j.onRef('r.partnership_id', '=', 'bm.partnership_id').onRef('r.holder_membership_id', '=', 'bm.id'))
        .select(sql<{ membership_id: string; child_id: string; until: string }[]>`coalesce(json_agg(json_build_object('membership_id', r.holder_membership_id, 'child_id', r.child_id, 'until', r.ends_at)), '[]'::json)`.as('list'))
        .whereRef('bm.partnership_id', '=', 's.partnership_id')
        .whereRef('bm.practitioner_id', '=', 's.practitioner_id')
        // a literal, not a parameter: the prepared statement's generic plan can use the partial index only so
        .where(sql<boolean>`r.type = 'break_glass'`)
        .where('r.starts_at', '<=', now)
        .where('r.ends_at', '>', now)
        .as('break_glass'),
    )
    .where('s.id_hash', '=', idHash)
    .where('s.ended_at', 'is', null)
}

type SessionRow = InferResult<ReturnType<typeof buildSessionQuery>>[number]

/**
 * Ends the practitioner's sessions and audits how many (`auth.session-end`): every one (`all`), or the session that
 * sent the code and every other still short of a second factor (a lock leaves the signed-in ones alone).
 */
async function endSessionsAudited(trx: Transaction<DB>, who: AuditActor, session: SessionView, now: Date, o: { endReason: string; reason: string; all: boolean }): Promise<void> {
  let q = trx.updateTable('session').set({ ended_at: now, end_reason: o.endReason }).where('partnership_id', '=', session.partnershipId).where('practitioner_id', '=', session.practitionerId).where('ended_at', 'is', null)
  if (!o.all) q = q.where((eb) => eb.or([eb('id_hash', '=', session.idHash), eb('state', '!=', 'active')]))
  const ended = await q.executeTakeFirst()
  await writeAudit(trx, who, now, { action: 'auth.session-end', outcome: 'success', entityType: 'practitioner', entityId: session.practitionerId, details: { reason: o.reason, sessionsEnded: Number(ended.numUpdatedRows) } })
}

/**
 * The account reached SUSPEND_AFTER_SECOND_FACTORS: in the transaction that counted the code, it was disabled (as an
 * administrator's disable does, so their "enable" lifts it and resets the counts). Audited (`auth.suspend`); every
 * session of the practitioner ends — the signed-in ones too: whoever is guessing has the password —; and the
 * administrators who can enable the account are told: the agency administrators of each agency the practitioner is in
 * post at, and the partnership's administrators (not the practitioner themself).
 */
async function suspendForGuessing(trx: Transaction<DB>, who: AuditActor, session: SessionView, failures: number, now: Date, handedOn: readonly HandedOn[] = []): Promise<void> {
  const p = session.partnershipId
  const handed = handedOnAudit(handedOn)
  await writeAudit(trx, who, now, {
    action: 'auth.suspend',
    outcome: 'success',
    entityType: 'practitioner',
    entityId: session.practitionerId,
    // the concerns handed on to those who stand in (concernsWaitingOn), with their children
    ...(handed.childIds ? { childIds: handed.childIds } : {}),
    details: { factor: 'totp', consecutiveFailures: failures, reason: 'consecutive wrong second-factor codes', ...handed.details },
  })
  await endSessionsAudited(trx, who, session, now, { endReason: 'suspended', reason: 'account suspended', all: true })
  // the practitioner's own memberships are not in post now (the account is disabled), so they are not among these
  const admins = await currentMembershipsQuery(trx, p, now)
    .select('m.id')
    .where((eb) =>
      eb.or([
        eb('m.role', '=', 'partnership_admin'),
        eb.and([
          eb('m.role', '=', 'agency_admin'),
          eb('m.agency_id', 'in', eb.selectFrom('membership as own').select('own.agency_id').where('own.partnership_id', '=', p).where('own.practitioner_id', '=', session.practitionerId).where('own.starts_at', '<=', now).where((o) => o.or([o('own.ends_at', 'is', null), o('own.ends_at', '>', now)]))),
        ]),
      ]),
    )
    .execute()
  await notifyMemberships(trx, p, admins.map((a) => a.id), { kind: 'account.suspended', childId: null, subjectType: 'practitioner', subjectId: session.practitionerId, link: `/admin/practitioners/${session.practitionerId}` }, now)
}

export function authRepository(ctx: Ctx) {
  const db = ctx.db

  async function defaultPartnership(q: Kysely<DB>): Promise<string | null> {
    const p = await q.selectFrom('partnership').select('id').orderBy('created_at').limit(1).executeTakeFirst()
    return p?.id ?? null
  }

  return {
    passkeys: passkeyRepository(ctx),

    async findForSignIn(email: string) {
      const rows = await db
        .selectFrom('practitioner')
        .select(['id', 'partnership_id', 'password_hash', 'disabled_at', 'locked_until', 'totp_enrolled_at'])
        .where((eb) => eb(eb.fn('lower', ['email']), '=', email.trim().toLowerCase()))
        .limit(2)
        .execute()
      // an address registered in two partnerships cannot choose one: treated as unknown
      return rows.length === 1 ? rows[0]! : null
    },

    /** A failed sign-in: counts towards the lockout, audited in its own transaction. */
    async signInFailed(email: string, practitioner: { id: string; partnership_id: string } | null, reason: string, requestId: string): Promise<void> {
      const now = ctx.clock.now()
      const partnershipId = practitioner?.partnership_id ?? (await defaultPartnership(db))
      await db.transaction().execute(async (trx) => {
        if (practitioner) await countWrongPassword(trx, practitioner.id, now)
        if (partnershipId) {
          await writeAudit(trx, { kind: 'anonymous', partnershipId, practitionerId: practitioner?.id ?? null, requestId }, now, {
            action: 'auth.sign-in',
            outcome: 'failure',
            details: { reason, emailSha256: hashToken(email.trim().toLowerCase()) },
          })
        }
      })
    },

    /**
     * A signed-in practitioner changes their own password: the current one is checked (a wrong one counts towards the
     * lockout as at sign-in), the new one stored as argon2id, the temporary-password flag cleared, and every other of
     * their sessions ended (a password that leaked no longer keeps a session open elsewhere). Audited either way.
     */
    async changePassword(actor: Actor, sessionIdHash: string, current: string, next: string): Promise<'changed' | 'wrong-current' | 'locked'> {
      const now = ctx.clock.now()
      const row = await db.selectFrom('practitioner').select(['password_hash', 'locked_until']).where('id', '=', actor.practitionerId).executeTakeFirstOrThrow()
      if (row.locked_until && row.locked_until > now) return 'locked'
      if (!(await verifyPassword(row.password_hash, current))) {
        await db.transaction().execute(async (trx) => {
          await countWrongPassword(trx, actor.practitionerId, now)
          await writeAudit(trx, actor, now, { action: 'auth.password-change', outcome: 'refused', entityType: 'practitioner', entityId: actor.practitionerId, details: { reason: 'wrong current password' } })
        })
        return 'wrong-current'
      }
      const hash = await hashPassword(next)
      await db.transaction().execute(async (trx) => {
        await trx.updateTable('practitioner').set({ password_hash: hash, must_change_password: false, password_changed_at: now, failed_sign_ins: 0 }).where('id', '=', actor.practitionerId).execute()
        const ended = await trx
          .updateTable('session')
          .set({ ended_at: now, end_reason: 'password changed' })
          .where('practitioner_id', '=', actor.practitionerId)
          .where('ended_at', 'is', null)
          .where('id_hash', '<>', sessionIdHash)
          .returning('id_hash')
          .execute()
        await writeAudit(trx, actor, now, { action: 'auth.password-change', outcome: 'success', entityType: 'practitioner', entityId: actor.practitionerId, details: { otherSessionsEnded: ended.length } })
      })
      return 'changed'
    },

    /** Password accepted: a new session (rotated: any pre-auth state is dropped) waiting for the second factor. */
    async startSession(practitionerId: string, partnershipId: string, enrolled: boolean, requestId: string, pendingTotpSecret: string | null): Promise<string> {
      const now = ctx.clock.now()
      const token = randomBytes(32).toString('base64url')
      await db.transaction().execute(async (trx) => {
        // the password's count only: the second factor's is reset by a second factor that succeeds, or someone who has
        // the password could sign in again between guesses and never reach its limit. (A lock is not lifted here
        // either: the caller found none, and one set since then stands; this session cannot complete while it does.)
        await trx.updateTable('practitioner').set({ failed_sign_ins: 0 }).where('id', '=', practitionerId).execute()
        await trx
          .insertInto('session')
          .values({
            id_hash: hashToken(token),
            partnership_id: partnershipId,
            practitioner_id: practitionerId,
            membership_id: null,
            state: enrolled ? 'mfa_challenge' : 'mfa_enrol',
            pending_totp_secret: enrolled ? null : pendingTotpSecret,
            created_at: now,
            last_seen_at: now,
            expires_at: new Date(now.getTime() + ABSOLUTE_HOURS * 3_600_000),
          })
          .execute()
        await writeAudit(trx, { kind: 'anonymous', partnershipId, practitionerId, requestId }, now, {
          action: 'auth.password',
          outcome: 'success',
          details: { next: enrolled ? 'mfa_challenge' : 'mfa_enrol' },
        })
      })
      return token
    },

    /** Loads a live session; ends it (and returns null) when idle too long, past its absolute limit, or the user is disabled. */
    async loadSession(token: string): Promise<SessionView | null> {
      const now = ctx.clock.now()
      const idHash = hashToken(token)
      const row = (await db.executeQuery<SessionRow>(sessionStatement(db, { idHash, now }))).rows[0]
      if (!row) return null
      const idle = now.getTime() - row.last_seen_at.getTime() > IDLE_MINUTES * 60_000
      const expired = now >= row.expires_at
      if (idle || expired || row.disabled_at) {
        await this.endSession(idHash, idle ? 'idle' : expired ? 'absolute' : 'disabled')
        return null
      }
      if (now.getTime() - row.last_seen_at.getTime() > 30_000) {
        await db.updateTable('session').set({ last_seen_at: now }).where('id_hash', '=', idHash).execute()
        row.last_seen_at = now
      }
      return {
        idHash: row.id_hash,
        partnershipId: row.partnership_id,
        practitionerId: row.practitioner_id,
        membershipId: row.membership_id,
        state: row.state,
        pendingTotpSecret: row.pending_totp_secret,
        secondFactor: row.second_factor,
        createdAt: row.created_at,
        lastSeenAt: row.last_seen_at,
        expiresAt: row.expires_at,
        practitioner: { email: row.email, givenName: row.given_name, familyName: row.family_name, totpSecret: row.totp_secret, totpLastStep: row.totp_last_step, mustChangePassword: row.must_change_password },
        memberships: toMembershipViews(row.memberships ?? []),
        breakGlass: (row.break_glass ?? []).map((b) => ({ membershipId: b.membership_id, childId: b.child_id, until: new Date(b.until) })),
      }
    },

    /**
     * Second factor accepted: the session is rotated (new id), becomes active — or, for a role that requires a
     * passkey and has none yet, moves on to adding one ('passkey_enrol') — the TOTP step is spent and the count of
     * wrong codes reset. Refused (null) when the step was spent already, or the account is locked (a right code from a
     * session opened before the lock included).
     */
    async completeMfa(session: SessionView, timeStep: number, enrolSecret: string | null, requestId: string, next: 'active' | 'passkey_enrol' = 'active'): Promise<string | null> {
      const now = ctx.clock.now()
      const token = randomBytes(32).toString('base64url')
      const ok = await db.transaction().execute(async (trx) => {
        // single use: the step must be newer than the last one spent (checked and set atomically)
        const spent = await trx
          .updateTable('practitioner')
          .set({
            totp_last_step: timeStep,
            failed_second_factors: 0,
            ...(enrolSecret ? { totp_secret: enrolSecret, totp_enrolled_at: now } : {}),
          })
          .where('id', '=', session.practitionerId)
          .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', timeStep)]))
          .where(notLocked(now))
          // enrolling sets up the first authenticator only: a session that began enrolling before the practitioner
          // enrolled elsewhere (another tab, or someone else who had the password) must not replace it
          .$if(Boolean(enrolSecret), (q) => q.where('totp_enrolled_at', 'is', null))
          // a code is right only for the secret it was checked against: one reset (or replaced) meanwhile refuses it
          .$if(!enrolSecret, (q) => q.where('totp_secret', '=', session.practitioner.totpSecret ?? ''))
          .executeTakeFirst()
        if (Number(spent.numUpdatedRows) !== 1) return false
        const { membershipId } = await rotateSession(trx, session, token, next, next === 'active' ? 'totp' : null, now)
        await writeAudit(trx, { kind: 'anonymous', partnershipId: session.partnershipId, practitionerId: session.practitionerId, requestId }, now, {
          action: enrolSecret ? 'auth.mfa-enrol' : 'auth.sign-in',
          outcome: 'success',
          details: { membershipId, factor: 'totp', ...(next === 'active' ? {} : { next }) },
        })
        return true
      }).catch((err: unknown) => {
        // the session ended while the code was checked: refused, as a wrong code is (the caller counts it)
        if (err instanceof SessionEndedError) return false
        throw err
      })
      return ok ? token : null
    },

    /**
     * A wrong second-factor code — or a replayed one, or any code while the account is locked — counted on the
     * account in one statement (two at once both count) and audited with the count, in its own transaction so nothing
     * rolls it back. At MAX_FAILED_SECOND_FACTORS the account is locked (audited, `auth.lockout`). While the account
     * is locked, the session that sent the code ends, with every other of the practitioner's sessions still short of
     * a second factor (audited, `auth.session-end`): the caller sends it back to the sign-in page.
     */
    async wrongCode(session: SessionView, failure: { action: string; reason: string }, requestId: string, actor?: Actor): Promise<{ locked: boolean }> {
      const now = ctx.clock.now()
      const until = new Date(now.getTime() + LOCKOUT_MINUTES * 60_000)
      const who = actor ?? { kind: 'anonymous' as const, partnershipId: session.partnershipId, practitionerId: session.practitionerId, requestId }
      return db.transaction().execute(async (trx) => {
        // the lock as it stood (the row locked until the end: the count below follows it, nothing between)
        const before = await trx.selectFrom('practitioner').select(['locked_until', 'disabled_at', 'failed_second_factors']).where('id', '=', session.practitionerId).forUpdate().executeTakeFirst()
        if (!before) return { locked: false }
        // this code suspends the account (the row is ours until the end: the count below is this one plus one): the
        // concerns waiting on the practitioner now, so that whoever stands in once they are not in post is told
        const waiting =
          before.disabled_at === null && before.failed_second_factors + 1 >= SUSPEND_AFTER_SECOND_FACTORS
            ? await concernsWaitingOn(trx, session.partnershipId, await membershipsInPostOf(trx, session.partnershipId, session.practitionerId, now), now)
            : null
        const row = await trx
          .updateTable('practitioner')
          .set({
            failed_second_factors: sql<number>`failed_second_factors + 1`,
            locked_until: sql<Date>`case when failed_second_factors + 1 >= ${MAX_FAILED_SECOND_FACTORS} then greatest(locked_until, ${until}) else locked_until end`,
            disabled_at: sql<Date | null>`case when failed_second_factors + 1 >= ${SUSPEND_AFTER_SECOND_FACTORS} then coalesce(disabled_at, ${now}) else disabled_at end`,
          })
          .where('id', '=', session.practitionerId)
          .returning(['failed_second_factors', 'locked_until', 'disabled_at'])
          .executeTakeFirstOrThrow()
        const failures = row.failed_second_factors
        const wasLocked = before.locked_until !== null && before.locked_until > now
        await writeAudit(trx, who, now, { action: failure.action, outcome: 'failure', details: { reason: failure.reason, consecutiveFailures: failures, ...(wasLocked ? { accountLocked: true } : {}) } })
        if (failures >= MAX_FAILED_SECOND_FACTORS) {
          await writeAudit(trx, who, now, {
            action: 'auth.lockout',
            outcome: 'success',
            entityType: 'practitioner',
            entityId: session.practitionerId,
            details: { factor: 'totp', consecutiveFailures: failures, until: row.locked_until, minutes: LOCKOUT_MINUTES },
          })
        }
        const locked = row.locked_until !== null && row.locked_until > now
        if (before.disabled_at === null && row.disabled_at !== null) {
          await suspendForGuessing(trx, who, session, failures, now, (await waiting?.tell()) ?? [])
          return { locked: true }
        }
        if (locked) {
          await endSessionsAudited(trx, who, session, now, { endReason: 'locked', reason: 'account locked', all: false })
        }
        return { locked }
      })
    },

    /** A second-factor step refused without a code being checked (the code alone, where a passkey is required). */
    async mfaFailed(session: SessionView, reason: string, requestId: string): Promise<void> {
      await writeAudit(db, { kind: 'anonymous', partnershipId: session.partnershipId, practitionerId: session.practitionerId, requestId }, ctx.clock.now(), {
        action: session.state === 'mfa_enrol' ? 'auth.mfa-enrol' : 'auth.mfa',
        outcome: 'failure',
        details: { reason },
      })
    },

    async endSession(idHash: string, reason: string): Promise<void> {
      await db.updateTable('session').set({ ended_at: ctx.clock.now(), end_reason: reason }).where('id_hash', '=', idHash).where('ended_at', 'is', null).execute()
    },

    async signOut(actor: Actor, idHash: string): Promise<void> {
      const now = ctx.clock.now()
      await db.transaction().execute(async (trx) => {
        await trx.updateTable('session').set({ ended_at: now, end_reason: 'signed-out' }).where('id_hash', '=', idHash).execute()
        await writeAudit(trx, actor, now, { action: 'auth.sign-out', outcome: 'success' })
      })
    },

    /** Acting in another of my memberships (like choosing a role on a smartcard). */
    async switchMembership(actor: Actor, idHash: string, membershipId: string): Promise<boolean> {
      if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(membershipId)) return false
      const now = ctx.clock.now()
      return db.transaction().execute(async (trx) => {
        const m = await trx
          .selectFrom('membership')
          .select('id')
          .where('id', '=', membershipId)
          .where('partnership_id', '=', actor.partnershipId)
          .where('practitioner_id', '=', actor.practitionerId)
          .where('starts_at', '<=', now)
          .where((eb) => eb.or([eb('ends_at', 'is', null), eb('ends_at', '>', now)]))
          .executeTakeFirst()
        if (!m) return false
        await trx.updateTable('session').set({ membership_id: membershipId }).where('id_hash', '=', idHash).execute()
        await writeAudit(trx, actor, now, { action: 'auth.switch-membership', outcome: 'success', details: { to: membershipId } })
        return true
      })
    },

    /** Extends an active session's idle timer (the "stay signed in" button of the timeout warning). */
    async touch(idHash: string): Promise<void> {
      await db.updateTable('session').set({ last_seen_at: ctx.clock.now() }).where('id_hash', '=', idHash).where('ended_at', 'is', null).execute()
    },

    /** Audits a refusal by the route gate (no permission), in its own transaction. */
    async refused(actor: Actor | { kind: 'anonymous'; partnershipId: string; requestId: string }, action: string, details: Record<string, unknown>): Promise<void> {
      await writeAudit(db, actor, ctx.clock.now(), { action, outcome: 'refused', details })
    },
  }
}

export type AuthRepository = ReturnType<typeof authRepository>

/**
 * A wrong password (at sign-in, or as the current one when changing it), counted in SQL (two at once both count); at
 * MAX_FAILED_SIGN_INS the account locks for LOCKOUT_MINUTES. A lock is only ever set or extended here, never lifted: a
 * wrong password must not unlock an account the second factor locked.
 */
async function countWrongPassword(trx: Transaction<DB>, practitionerId: string, now: Date): Promise<void> {
  const until = new Date(now.getTime() + LOCKOUT_MINUTES * 60_000)
  await trx
    .updateTable('practitioner')
    .set({
      failed_sign_ins: sql<number>`failed_sign_ins + 1`,
      locked_until: sql<Date>`case when failed_sign_ins + 1 >= ${MAX_FAILED_SIGN_INS} then greatest(locked_until, ${until}) else locked_until end`,
    })
    .where('id', '=', practitionerId)
    .execute()
}

/** A sign-in step taken on a session that has ended since the request began: nothing is changed (rolled back). */
export class SessionEndedError extends Error {
  constructor() {
    super('The session has ended')
  }
}

/**
 * Every step of sign-in rotates the session: the old one ends and a new one (the token's) opens in the next state,
 * acting in the practitioner's first current membership, remembering which second factor made it active.
 */
export async function rotateSession(trx: Transaction<DB>, session: SessionView, token: string, state: 'active' | 'passkey_enrol', secondFactor: 'totp' | 'passkey' | null, now: Date): Promise<{ membershipId: string | null }> {
  // only a session still open moves on: one ended while this request was under way (signed out, or every session ended
  // by an administrator resetting the second factor) is not brought back as a new one, nor its end's reason overwritten
  const ended = await trx.updateTable('session').set({ ended_at: now, end_reason: 'rotated' }).where('id_hash', '=', session.idHash).where('ended_at', 'is', null).executeTakeFirst()
  if (Number(ended.numUpdatedRows) !== 1) throw new SessionEndedError()
  const first = await trx
    .selectFrom('membership')
    .select('id')
    .where('partnership_id', '=', session.partnershipId)
    .where('practitioner_id', '=', session.practitionerId)
    .where('starts_at', '<=', now)
    .where((eb) => eb.or([eb('ends_at', 'is', null), eb('ends_at', '>', now)]))
    .orderBy('created_at')
    .limit(1)
    .executeTakeFirst()
  await trx
    .insertInto('session')
    .values({
      id_hash: hashToken(token),
      partnership_id: session.partnershipId,
      practitioner_id: session.practitionerId,
      membership_id: first?.id ?? null,
      state,
      second_factor: secondFactor,
      pending_totp_secret: null,
      created_at: now,
      last_seen_at: now,
      expires_at: session.expiresAt,
    })
    .execute()
  return { membershipId: first?.id ?? null }
}
