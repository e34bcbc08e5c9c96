// Passkeys (WebAuthn): the practitioner's registered credentials, the ceremonies' challenges (server-side, tied to
// the session, single use, short-lived), and the session steps they complete. Every enrolment, removal, success and
// failure writes its audit row; failures in their own statement, so nothing rolls them back.
import { randomBytes, randomUUID } from 'node:crypto'
import type { Transaction } from 'kysely'
import type { Actor } from '../actor.ts'
import { writeAudit } from '../audit.ts'
import type { DB } from '../schema.ts'
import type { Ctx } from '../unit-of-work.ts'
import { notLocked, rotateSession, SessionEndedError, type SessionView } from './auth.ts'
import type { NewPasskey, StoredPasskey } from '../../platform/auth/passkeys.ts'

export interface PasskeyView extends StoredPasskey {
  id: string
  name: string
  deviceType: string
  backedUp: boolean
  createdAt: Date
  lastUsedAt: Date | null
}

type Who = { partnershipId: string; practitionerId: string }

export function passkeyRepository(ctx: Ctx) {
  const db = ctx.db
  const anon = (s: Who, requestId: string) => ({ kind: 'anonymous' as const, partnershipId: s.partnershipId, practitionerId: s.practitionerId, requestId })

  /** Ends the session and opens a new one (new id) in the given state: every step of sign-in rotates the session. */
  async function rotate(trx: Transaction<DB>, session: SessionView, state: 'active' | 'passkey_enrol', now: Date): Promise<{ token: string; membershipId: string | null }> {
    const token = randomBytes(32).toString('base64url')
    await trx.deleteFrom('webauthn_challenge').where('partnership_id', '=', session.partnershipId).where('session_id_hash', '=', session.idHash).execute()
    const { membershipId } = await rotateSession(trx, session, token, state, state === 'active' ? 'passkey' : null, now)
    return { token, membershipId }
  }

  async function insertPasskey(trx: Transaction<DB>, who: Who, p: NewPasskey, name: string, now: Date): Promise<string | null> {
    const id = randomUUID()
    const clash = await trx.selectFrom('passkey').select('id').where('partnership_id', '=', who.partnershipId).where('credential_id', '=', p.credentialId).executeTakeFirst()
    if (clash) return null
    await trx
      .insertInto('passkey')
      .values({
        partnership_id: who.partnershipId,
        id,
        practitioner_id: who.practitionerId,
        credential_id: p.credentialId,
        public_key: p.publicKey,
        sign_count: p.signCount,
        transports: p.transports,
        device_type: p.deviceType,
        backed_up: p.backedUp,
        name: name.trim(),
        created_at: now,
        last_used_at: null,
      })
      .execute()
    return id
  }

  return {
    async list(who: Who): Promise<PasskeyView[]> {
      const rows = await db
        .selectFrom('passkey')
        .selectAll()
        .where('partnership_id', '=', who.partnershipId)
        .where('practitioner_id', '=', who.practitionerId)
        .orderBy('created_at')
        .execute()
      return rows.map((r) => ({
        id: r.id,
        name: r.name,
        credentialId: r.credential_id,
        publicKey: r.public_key,
        signCount: Number(r.sign_count),
        transports: r.transports,
        deviceType: r.device_type,
        backedUp: r.backed_up,
        createdAt: r.created_at,
        lastUsedAt: r.last_used_at,
      }))
    },

    async count(who: Who): Promise<number> {
      const r = await db
        .selectFrom('passkey')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('partnership_id', '=', who.partnershipId)
        .where('practitioner_id', '=', who.practitionerId)
        .executeTakeFirstOrThrow()
      return Number(r.n)
    },

    /** Keeps a ceremony's challenge for this session (a new one replaces any earlier one of the same purpose). */
    async saveChallenge(session: SessionView, purpose: 'register' | 'authenticate', challenge: string, seconds: number): Promise<void> {
      const now = ctx.clock.now()
      await db
        .insertInto('webauthn_challenge')
        .values({ partnership_id: session.partnershipId, session_id_hash: session.idHash, purpose, challenge, expires_at: new Date(now.getTime() + seconds * 1000) })
        .onConflict((oc) => oc.columns(['partnership_id', 'session_id_hash', 'purpose']).doUpdateSet({ challenge, expires_at: new Date(now.getTime() + seconds * 1000) }))
        .execute()
    },

    /** Spends the session's challenge: returned once, and only while it is fresh. */
    async takeChallenge(session: SessionView, purpose: 'register' | 'authenticate'): Promise<string | null> {
      const row = await db
        .deleteFrom('webauthn_challenge')
        .where('partnership_id', '=', session.partnershipId)
        .where('session_id_hash', '=', session.idHash)
        .where('purpose', '=', purpose)
        .returning(['challenge', 'expires_at'])
        .executeTakeFirst()
      if (!row || row.expires_at <= ctx.clock.now()) return null
      return row.challenge
    },

    /**
     * Passkey accepted at sign-in: the counter moves on (only forwards), the session becomes active, and the count of
     * wrong codes is reset (a second factor succeeded). Refused while the account is locked, and the session ended.
     */
    async signedIn(session: SessionView, passkey: PasskeyView, newCount: number, requestId: string): Promise<{ token: string } | { refused: 'account locked' | 'counter changed concurrently' | 'the sign-in ended' }> {
      const now = ctx.clock.now()
      return db.transaction().execute(async (trx) => {
        const open = await trx.updateTable('practitioner').set({ failed_second_factors: 0 }).where('id', '=', session.practitionerId).where(notLocked(now)).executeTakeFirst()
        if (Number(open.numUpdatedRows) !== 1) {
          // a locked account finishes no sign-in, with a passkey either: this session ends, as with a wrong code, and
          // the refusal is audited with it
          await trx.updateTable('session').set({ ended_at: now, end_reason: 'locked' }).where('id_hash', '=', session.idHash).where('ended_at', 'is', null).execute()
          await writeAudit(trx, anon(session, requestId), now, { action: 'auth.passkey', outcome: 'failure', details: { reason: 'account locked: the session ended' } })
          return { refused: 'account locked' as const }
        }
        const moved = await trx
          .updateTable('passkey')
          .set({ sign_count: newCount, last_used_at: now })
          .where('partnership_id', '=', session.partnershipId)
          .where('id', '=', passkey.id)
          .where('sign_count', '=', passkey.signCount)
          .executeTakeFirst()
        if (Number(moved.numUpdatedRows) !== 1) return { refused: 'counter changed concurrently' as const }
        const { token, membershipId } = await rotate(trx, session, 'active', now)
        await writeAudit(trx, anon(session, requestId), now, {
          action: 'auth.sign-in',
          outcome: 'success',
          entityType: 'passkey',
          entityId: passkey.id,
          details: { factor: 'passkey', membershipId },
        })
        return { token }
      }).catch((err: unknown) => {
        // the session ended while the passkey was checked: nothing changed (the counter's step rolled back)
        if (err instanceof SessionEndedError) return { refused: 'the sign-in ended' as const }
        throw err
      })
    },

    /** The passkey a practitioner with a required role adds at sign-in: saved, and the session becomes active. */
    async enrolAtSignIn(session: SessionView, p: NewPasskey, name: string, requestId: string): Promise<string | null> {
      const now = ctx.clock.now()
      return db.transaction().execute(async (trx) => {
        const id = await insertPasskey(trx, session, p, name, now)
        if (!id) return null
        const { token, membershipId } = await rotate(trx, session, 'active', now)
        await writeAudit(trx, anon(session, requestId), now, {
          action: 'auth.passkey-enrol',
          outcome: 'success',
          entityType: 'passkey',
          entityId: id,
          details: { name: name.trim(), deviceType: p.deviceType, at: 'sign-in', membershipId },
        })
        return token
      }).catch((err: unknown) => {
        // the session ended while the passkey was checked: nothing saved
        if (err instanceof SessionEndedError) return null
        throw err
      })
    },

    /**
     * A signed-in practitioner adds a passkey after re-entering their TOTP code (the step is spent, single use, and
     * the count of wrong codes reset). While the account is locked the code is refused as if already used.
     */
    async add(actor: Actor, p: NewPasskey, name: string, totpStep: number): Promise<{ ok: true; id: string } | { ok: false; reason: 'code already used' | 'already registered' }> {
      const now = ctx.clock.now()
      return db.transaction().execute(async (trx) => {
        const spent = await trx
          .updateTable('practitioner')
          .set({ totp_last_step: totpStep, failed_second_factors: 0 })
          .where('id', '=', actor.practitionerId)
          .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', totpStep)]))
          .where(notLocked(now))
          .executeTakeFirst()
        if (Number(spent.numUpdatedRows) !== 1) return { ok: false as const, reason: 'code already used' as const }
        const id = await insertPasskey(trx, actor, p, name, now)
        if (!id) return { ok: false as const, reason: 'already registered' as const }
        await writeAudit(trx, actor, now, { action: 'auth.passkey-enrol', outcome: 'success', entityType: 'passkey', entityId: id, details: { name: name.trim(), deviceType: p.deviceType, at: 'account' } })
        return { ok: true as const, id }
      })
    },

    /** Removes one of my passkeys; the last one is kept when my role requires a passkey. */
    async remove(actor: Actor, passkeyId: string, required: boolean): Promise<'removed' | 'not-found' | 'last'> {
      if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(passkeyId)) return 'not-found'
      const now = ctx.clock.now()
      const result = await db.transaction().execute(async (trx) => {
        const mine = await trx
          .selectFrom('passkey')
          .select(['id', 'name'])
          .where('partnership_id', '=', actor.partnershipId)
          .where('practitioner_id', '=', actor.practitionerId)
          .forUpdate()
          .execute()
        const target = mine.find((p) => p.id === passkeyId)
        if (!target) return 'not-found' as const
        if (required && mine.length <= 1) return 'last' as const
        await trx.deleteFrom('passkey').where('partnership_id', '=', actor.partnershipId).where('id', '=', passkeyId).execute()
        await writeAudit(trx, actor, now, { action: 'auth.passkey-remove', outcome: 'success', entityType: 'passkey', entityId: passkeyId, details: { name: target.name } })
        return 'removed' as const
      })
      if (result === 'last') {
        await writeAudit(db, actor, now, { action: 'auth.passkey-remove', outcome: 'refused', entityType: 'passkey', entityId: passkeyId, details: { reason: 'last passkey of a role that requires one' } })
      }
      return result
    },

    /** A failed passkey step (sign-in, enrolment), or TOTP refused where a passkey is required: audited on its own. */
    async failed(who: (Who & { kind?: undefined }) | Actor, action: 'auth.passkey' | 'auth.passkey-enrol' | 'auth.mfa', reason: string, requestId: string): Promise<void> {
      const actor = who.kind === 'practitioner' ? who : anon(who, requestId)
      await writeAudit(db, actor, ctx.clock.now(), { action, outcome: 'failure', details: { reason } })
    },

  }
}

export type PasskeyRepository = ReturnType<typeof passkeyRepository>
