// Child-protection file transfer between schools (issue 6, scope 7; R9, KCSIE). The old school's DSL (or deputy) starts
// a transfer when a pupil leaves; the file is separate from the pupil file (the common transfer file, R10, is not ours).
//
// What the file is: the old school's own safeguarding record of the child — the entries of the child whose source is
// the old school and whose label is `team` or `agency` (its concerns, DSL actions and outcomes, its sharing decisions,
// everything it recorded), fixed when the transfer starts (file_transfer_item). Never another agency's entry, and
// never a `restricted`, `sealed` or `front_door` entry, whoever wrote it.
//
// In the partnership: the new school's DSLs are told and see the transfer in their inbox — what identifies the child,
// the old school, the dates and how many entries — but not the file. Their DSL (or deputy) confirms receipt: the new
// school then holds its own agency record of the child (the one it has, or one made now, with an `agency_record`
// relationship, as an answered information request makes), and each entry of the file is COPIED into it (entries are
// immutable: a copy is a new entry of the new school, labelled `agency`, its summary naming the old school, linked back
// to its original in file_transfer_item). Receipt stops the R9 clock: met, or met late with the reason.
//
// Outside the partnership: the old DSL makes an encrypted export (rules.ts: JSON encrypted with AES-256-GCM, key by
// scrypt from a passphrase shown once), downloads it (audited), sends the passphrase by another channel, and records
// who at the new school confirmed receipt and when — which stops the clock.
//
// Every transfer records its sharing decision (context 'file_transfer') in the same transaction as the transfer. What
// the old school keeps is the partnership's setting `transfer.old_school_keeps`: 'all' (the default: nothing changes —
// its entries stay until their retention date) or 'none_after_receipt' (the old school's relationships to the child
// end at receipt, so it no longer reaches the record; its entries stay, immutable, for retention and the audit).
//
// Withdrawal: until the file is received, the sending school's DSL (or deputy) may withdraw the transfer with the reason
// (sent to the wrong school, the move fell through). The new school then no longer sees it (not found, like a transfer
// that does not exist; a receipt already under way is refused), its R9 clock is stopped (not applicable), the encrypted
// exports are emptied (whether one had been downloaded is recorded: withdrawing cannot take that back), the child's
// chronology records it as the sending did (the sharing decision's visibility), and whoever was told of the transfer is
// told. A withdrawn transfer is not open: the school may start a new one.
//
// Who sees a transfer (anyone else: not found): the old school's DSL and deputies; the new school's DSL and deputies
// (in the partnership); the practitioner an overdue transfer escalates to (the old school's headteacher, else the
// starter's team manager, else the starter). Every call is one audited transaction.
import { randomUUID } from 'node:crypto'
import { sql, type Transaction } from 'kysely'
import { hasPermission, isRole, ROLE_LABELS } from '../../access/policy.ts'
import { entryVisible } from '../../data/access-sql.ts'
import type { Actor } from '../../data/actor.ts'
import type { ClockPort } from '../../data/clock-port.ts'
import { currentMembershipsQuery, membershipsWithRoles, membershipsWithRolesQuery } from '../../data/memberships.ts'
import { notifyMemberships } from '../../data/notify.ts'
import { childWithRelationship, isUuid, lockChildren } from '../../data/repositories/children.ts'
import type { DB } from '../../data/schema.ts'
import { auditedTransaction, FieldRefusedError, RefusedError, type Ctx } from '../../data/unit-of-work.ts'
import { loadCalendar } from '../calendar/clocks.ts'
import { londonDateTime } from '../../web/dates.ts'
import { GOLDEN_RULES } from '../sharing/codes.ts'
import { recordSharingDecision } from '../sharing/store.ts'
import { setting, teamManagerOf } from '../tac/access.ts'
import { encryptExport, EXPORT_FORMAT, FILE_VISIBILITIES, KEEPS_DEFAULT, KEEPS_SETTING, newPassphrase, r9Due, sha256, STATUS_LABELS, TRANSFER_ENTRY, TRANSFER_RULE, TRANSFER_SUBJECT, WITHDRAWN_CLOCK_REASON, type OldSchoolKeeps } from './rules.ts'
import { authoredNow } from '../../data/repositories/entries.ts'

type Trx = Transaction<DB>

/** The transfer was withdrawn: there is nothing to receive or download (the page answers 409 or 410 with the message). */
export class WithdrawnRefusal extends RefusedError {}

export interface StartInput {
  destination: 'partnership' | 'outside'
  toAgencyId?: string | null
  toSchoolName?: string | null
  toSchoolContact?: string | null
  leftOn: string
  startsOn?: string | null
  lawfulBasis: '6.1.e' | '6.1.c'
  note?: string | null
}

export interface WithdrawInput {
  reason: string
  /** The transfer's row_version when the form was shown: a stale form is refused (a conflict), nothing changes. */
  rowVersion: number
}

export interface ConfirmInput {
  name: string
  role: string
  confirmedOn: string
  lateReason?: string | null
}

const DSL_ROLES = ['dsl', 'deputy_dsl'] as const
const practitionerName = (alias: string) => sql<string | null>`${sql.ref(`${alias}.given_name`)} || ' ' || ${sql.ref(`${alias}.family_name`)}`

export function transfersRepository(ctx: Ctx, actor: Actor, clocks: ClockPort) {
  const P = actor.partnershipId
  const maySend = hasPermission(actor.role, 'transfer:send')
  const mayReceive = hasPermission(actor.role, 'transfer:receive')

  async function childAccess(trx: Trx, childId: string, now: Date) {
    return childWithRelationship(trx, actor, childId, now)
  }

  function transferQuery(trx: Trx) {
    return trx
      .selectFrom('file_transfer as t')
      .innerJoin('agency as fa', 'fa.id', 't.from_agency_id')
      .leftJoin('agency as ta', 'ta.id', 't.to_agency_id')
      .innerJoin('child as c', 'c.id', 't.child_id')
      .innerJoin('membership as sm', 'sm.id', 't.started_by')
      .innerJoin('practitioner as sp', 'sp.id', 'sm.practitioner_id')
      .leftJoin('membership as rm', 'rm.id', 't.received_by')
      .leftJoin('practitioner as rp', 'rp.id', 'rm.practitioner_id')
      .leftJoin('membership as wm', 'wm.id', 't.withdrawn_by')
      .leftJoin('practitioner as wp', 'wp.id', 'wm.practitioner_id')
      .selectAll('t')
      .select([
        'fa.name as from_name',
        'ta.name as to_name',
        'c.given_name as child_given_name',
        'c.family_name as child_family_name',
        'c.date_of_birth as child_dob',
        'c.upn as child_upn',
        practitionerName('sp').as('starter_name'),
        'sm.role as starter_role',
        practitionerName('rp').as('receiver_name'),
        'rm.role as receiver_role',
        practitionerName('wp').as('withdrawer_name'),
        'wm.role as withdrawer_role',
        sql<number>`(select count(*) from file_transfer_item i where i.transfer_id = t.id and i.partnership_id = t.partnership_id)::int`.as('item_count'),
      ])
      .where('t.partnership_id', '=', P)
  }
  type Row = Awaited<ReturnType<ReturnType<typeof transferQuery>['executeTakeFirstOrThrow']>>

  const roleLabel = (r: string | null) => (r && isRole(r) ? ROLE_LABELS[r] : r)

  function view(t: Row, now: Date) {
    return {
      id: t.id,
      childId: t.child_id,
      childName: `${t.child_given_name} ${t.child_family_name}`,
      childDob: t.child_dob,
      childUpn: t.child_upn,
      fromAgencyId: t.from_agency_id,
      fromName: t.from_name,
      destination: t.destination,
      toAgencyId: t.to_agency_id,
      toName: t.destination === 'partnership' ? t.to_name : t.to_school_name,
      toContact: t.to_school_contact,
      leftOn: t.left_on,
      startsOn: t.starts_on,
      clockStartsOn: t.clock_starts_on,
      newTerm: t.new_term,
      dueAt: t.due_at,
      status: t.status,
      statusLabel: STATUS_LABELS[t.status],
      overdue: t.status === 'sent' && now > t.due_at,
      late: t.status === 'received' && t.received_at !== null && t.received_at > t.due_at,
      lateReason: t.late_reason,
      note: t.note,
      startedAt: t.started_at,
      starter: { name: t.starter_name, roleLabel: roleLabel(t.starter_role) },
      receivedAt: t.received_at,
      receiver: t.destination === 'partnership' ? (t.receiver_name ? { name: t.receiver_name, roleLabel: roleLabel(t.receiver_role) } : null) : t.confirmed_by_name ? { name: t.confirmed_by_name, roleLabel: t.confirmed_by_role, recordedBy: t.receiver_name } : null,
      itemCount: t.item_count,
      oldSchoolKeeps: t.old_school_keeps,
      sharingDecisionId: t.sharing_decision_id,
      withdrawn: t.status === 'withdrawn' ? { at: t.withdrawn_at, by: { name: t.withdrawer_name, roleLabel: roleLabel(t.withdrawer_role) }, reason: t.withdraw_reason, afterDownload: t.withdrawn_after_download === true } : null,
      rowVersion: t.row_version,
    }
  }

  /**
   * The actor's access to a transfer: as the sending school, the new school (not once withdrawn) or the escalation.
   * `withdrawnToUs`: asked for by receipt only — the actor's school was the destination of a transfer since withdrawn.
   */
  async function transferAccess(trx: Trx, id: string, opts: { forUpdate?: boolean; withdrawnToUs?: boolean } = {}) {
    if (!isUuid(id)) return undefined
    if (opts.forUpdate) {
      const locked = await trx.selectFrom('file_transfer').select('id').where('partnership_id', '=', P).where('id', '=', id).forUpdate().executeTakeFirst()
      if (!locked) return undefined
    }
    const t = await transferQuery(trx).where('t.id', '=', id).executeTakeFirst()
    if (!t) return undefined
    const sender = maySend && t.from_agency_id === actor.agencyId
    const toUs = mayReceive && t.destination === 'partnership' && t.to_agency_id === actor.agencyId
    // a withdrawn transfer is no longer the new school's: not found, like a transfer that does not exist
    const receiver = toUs && t.status !== 'withdrawn'
    const escalation = t.escalate_to_membership_id === actor.membershipId
    if (!sender && !receiver && !escalation) return opts.withdrawnToUs && toUs ? { t, sender, receiver, escalation, withdrawnToUs: true } : undefined
    return { t, sender, receiver, escalation, withdrawnToUs: false }
  }

  /** Schools of the partnership a file can be sent to (not the actor's own), with a DSL or deputy there now. */
  async function receivingSchools(trx: Trx, now: Date) {
    return trx
      .selectFrom('agency as a')
      .select(['a.id', 'a.name'])
      .where('a.partnership_id', '=', P)
      .where('a.kind', '=', 'school')
      .where('a.id', '!=', actor.agencyId)
      .where('a.id', 'in', currentMembershipsQuery(trx, P, now).select('m.agency_id').where('m.role', 'in', [...DSL_ROLES]))
      .orderBy('a.name')
      .execute()
  }

  /** The file: the old school's own `team` and `agency` entries of the child (never restricted, sealed or front door). */
  function fileEntries(trx: Trx, childId: string, fromAgencyId: string) {
    return trx
      .selectFrom('entry as e')
      .select(['e.id'])
      .where('e.partnership_id', '=', P)
      .where('e.child_id', '=', childId)
      .where('e.source_agency_id', '=', fromAgencyId)
      .where('e.visibility', 'in', [...FILE_VISIBILITIES])
      .orderBy('e.occurred_at')
      .orderBy('e.id')
  }

  /** The entries of the file as stored (for the export and the copies): read by id from the items, not by visibility. */
  function itemEntries(trx: Trx, transferId: string) {
    return trx
      .selectFrom('file_transfer_item as i')
      .innerJoin('entry as e', 'e.id', 'i.original_entry_id')
      .leftJoin('membership as am', 'am.id', 'e.author_membership_id')
      .select(['e.id', 'e.type', 'e.category', 'e.occurred_at', 'e.occurred_time_known', 'e.recorded_at', 'e.significance', 'e.summary', 'e.visibility', 'am.role as author_role', 'i.copy_entry_id'])
      .where('i.partnership_id', '=', P)
      .where('i.transfer_id', '=', transferId)
      .where('e.visibility', 'in', [...FILE_VISIBILITIES]) // a narrowed or sealed entry since the transfer started does not travel
      .orderBy('e.occurred_at')
      .orderBy('e.id')
  }

  async function escalationTarget(trx: Trx, now: Date): Promise<string> {
    const head = await membershipsWithRolesQuery(trx, P, actor.agencyId, ['headteacher'], now).orderBy('m.id').executeTakeFirst()
    return head?.id ?? (await teamManagerOf(trx, actor, now)) ?? actor.membershipId
  }

  async function oldSchoolKeeps(trx: Trx): Promise<OldSchoolKeeps> {
    const v = await setting<unknown>(trx, P, KEEPS_SETTING, KEEPS_DEFAULT)
    return v === 'none_after_receipt' ? 'none_after_receipt' : 'all'
  }

  /** Applies the partnership's policy to the old school at receipt. */
  async function applyKeeps(trx: Trx, t: Row, now: Date): Promise<OldSchoolKeeps> {
    const keeps = await oldSchoolKeeps(trx)
    if (keeps === 'none_after_receipt') {
      await trx
        .updateTable('relationship')
        .set({ ends_at: now })
        .where('partnership_id', '=', P)
        .where('child_id', '=', t.child_id)
        .where('holder_agency_id', '=', t.from_agency_id)
        .where('type', 'in', ['pupil_at', 'agency_record'])
        .where((eb) => eb.or([eb('ends_at', 'is', null), eb('ends_at', '>', now)]))
        .execute()
    }
    return keeps
  }

  /** The new school's agency record of the child: the one it holds, or one made now (linked, with its relationship). */
  async function receivingRecord(trx: Trx, t: Row, now: Date): Promise<{ id: string | null; created: boolean }> {
    const held = await trx.selectFrom('agency_record').select('id').where('partnership_id', '=', P).where('agency_id', '=', actor.agencyId).where('child_id', '=', t.child_id).orderBy('created_at').orderBy('id').executeTakeFirst()
    const hasRel = await trx.selectFrom('relationship').select('id').where('partnership_id', '=', P).where('child_id', '=', t.child_id).where('holder_agency_id', '=', actor.agencyId).where('type', '=', 'agency_record').where('starts_at', '<=', now).where((eb) => eb.or([eb('ends_at', 'is', null), eb('ends_at', '>', now)])).executeTakeFirst()
    let id: string | null = held?.id ?? null
    let created = false
    if (!held) {
      const c = await trx.selectFrom('child').select(['given_name', 'family_name', 'date_of_birth', 'expected_date_of_birth', 'sex', 'nhs_number', 'upn']).where('partnership_id', '=', P).where('id', '=', t.child_id).executeTakeFirstOrThrow()
      const dob = c.date_of_birth ?? c.expected_date_of_birth
      if (dob) {
        id = randomUUID()
        created = true
        await trx
          .insertInto('agency_record')
          .values({ id, partnership_id: P, agency_id: actor.agencyId, source_ref: `file-transfer:${t.id}`, given_name: c.given_name, family_name: c.family_name, date_of_birth: dob, sex: c.sex, nhs_number: c.nhs_number, upn: c.upn, postcode: null, address: null, child_id: t.child_id, match_state: 'matched', match_probability: null, match_explanation: null, review_child_id: null, created_at: now, updated_at: now })
          .execute()
        await trx
          .insertInto('link_decision')
          .values({ id: randomUUID(), partnership_id: P, agency_record_id: id, kind: 'auto', from_child_id: null, to_child_id: t.child_id, probability: null, reason: `Made when the school received the child’s child protection file from ${t.from_name}`, decided_by_membership_id: actor.membershipId, decided_at: now })
          .execute()
      }
    }
    if (!hasRel) {
      await trx
        .insertInto('relationship')
        .values({ id: randomUUID(), partnership_id: P, child_id: t.child_id, type: 'agency_record', holder_agency_id: actor.agencyId, holder_team_id: null, holder_membership_id: null, starts_at: now, ends_at: null, source: id ? `agency record ${id}` : `file transfer ${t.id}`, reason: `The school received the child’s child protection file from ${t.from_name}`, created_by_membership_id: actor.membershipId, created_at: now })
        .execute()
    }
    return { id, created }
  }

  async function stopClock(trx: Trx, t: Row, at: Date, lateReason: string | null, lateMessage: string) {
    await clocks.meet(trx, P, TRANSFER_SUBJECT, t.id, at, lateReason, lateMessage)
  }

  const notFound = (action: string, entityType: string, id: string) => ({ result: null, audit: { action, outcome: 'not_found' as const, entityType, entityId: isUuid(id) ? id : null } })

  return {
    /** The "send the child protection file" page: the child, the schools, the due time rule, this child's transfers. */
    async startPage(childId: string) {
      return auditedTransaction(ctx, actor, 'transfer.start-page', async (trx, now) => {
        const access = maySend ? await childAccess(trx, childId, now) : undefined
        if (!access) return notFound('transfer.start-page', 'child', childId)
        const schools = await receivingSchools(trx, now)
        const earlier = await transferQuery(trx).where('t.child_id', '=', childId).where('t.from_agency_id', '=', actor.agencyId).orderBy('t.started_at', 'desc').execute()
        const entries = await fileEntries(trx, childId, actor.agencyId).execute()
        return {
          result: { child: access.child, schools, transfers: earlier.map((t) => view(t, now)), entryCount: entries.length },
          audit: { action: 'transfer.start-page', outcome: 'success' as const, entityType: 'child', entityId: childId, childIds: [childId], relationshipId: access.relationshipId, details: { transfers: earlier.map((t) => t.id) } },
        }
      })
    },

    /**
     * Starts a transfer: fixes the file, records the sharing decision, starts the R9 clock on the sending school's
     * calendar, tells the new school's DSLs. Null: the child is not in reach. FieldRefusedError: bad input, on its field.
     */
    async start(childId: string, input: StartInput) {
      return auditedTransaction(ctx, actor, 'transfer.start', async (trx, now) => {
        const access = maySend ? await childAccess(trx, childId, now) : undefined
        if (!access) return notFound('transfer.start', 'child', childId)
        const from = await trx.selectFrom('agency').select(['id', 'name', 'kind']).where('partnership_id', '=', P).where('id', '=', actor.agencyId).executeTakeFirstOrThrow()
        if (from.kind !== 'school') throw new FieldRefusedError('Only a school sends a child protection file to a new school', 'destination')
        let toName: string
        let toAgencyId: string | null = null
        if (input.destination === 'partnership') {
          const schools = await receivingSchools(trx, now)
          const to = input.toAgencyId ? schools.find((s) => s.id === input.toAgencyId) : undefined
          if (!to) throw new FieldRefusedError('Choose the new school from the list', 'toAgencyId')
          toName = to.name
          toAgencyId = to.id
        } else {
          if (!input.toSchoolName?.trim()) throw new FieldRefusedError('Enter the name of the new school', 'toSchoolName')
          toName = input.toSchoolName.trim()
        }
        if (input.startsOn && input.startsOn < input.leftOn) throw new FieldRefusedError('The start at the new school must be on or after the day the child left', 'startsOn')
        await lockChildren(trx, P, [childId])
        const open = await trx.selectFrom('file_transfer').select('id').where('partnership_id', '=', P).where('child_id', '=', childId).where('from_agency_id', '=', actor.agencyId).where('status', '=', 'sent').executeTakeFirst()
        if (open) throw new FieldRefusedError('A transfer of this child’s file is already waiting for receipt: see it below', 'destination')

        const cal = await loadCalendar(trx, P, [actor.agencyId])
        const due = r9Due(cal, actor.agencyId, input.leftOn, input.startsOn ?? null)
        const id = randomUUID()
        const entries = await fileEntries(trx, childId, actor.agencyId).execute()
        const escalateTo = await escalationTarget(trx, now)
        const decision = await recordSharingDecision(
          trx,
          actor,
          now,
          {
            childId,
            shared: true,
            what: `The child protection file held by ${from.name} (${entries.length} ${entries.length === 1 ? 'entry' : 'entries'}), sent to ${toName} because the child changed school`,
            entryIds: entries.map((e) => e.id),
            withAgencyIds: toAgencyId ? [toAgencyId] : [],
            withOther: toAgencyId ? null : toName,
            purpose: 'file_transfer',
            categories: ['identity', 'safeguarding', 'family'],
            lawfulBasis: input.lawfulBasis,
            specialCategory: true,
            art9Condition: '9.2.g',
            schedule1Condition: 'sch1.6',
            consent: 'not_sought',
            consentReason: 'Keeping children safe in education requires the designated safeguarding lead to transfer the child protection file to the new school; consent is not the basis for it',
            goldenRules: Object.fromEntries(GOLDEN_RULES.map((r) => [r.code, true])),
            reasons: `The child left ${from.name}; the new school’s designated safeguarding lead needs the file to keep the child safe (KCSIE, R9).${input.note?.trim() ? ` ${input.note.trim()}` : ''}`,
            outsideAgreementReason: 'Keeping children safe in education requires the child protection file to move with the child to their new school, within or outside the partnership',
            context: 'file_transfer',
            contextId: id,
          },
          { audit: false },
        )
        await trx
          .insertInto('file_transfer')
          .values({
            id,
            partnership_id: P,
            child_id: childId,
            from_agency_id: actor.agencyId,
            destination: input.destination,
            to_agency_id: toAgencyId,
            to_school_name: toAgencyId ? null : toName,
            to_school_contact: toAgencyId ? null : input.toSchoolContact?.trim() || null,
            left_on: input.leftOn,
            starts_on: input.startsOn ?? null,
            clock_starts_on: due.clockStartsOn,
            new_term: due.newTerm,
            due_at: due.dueAt,
            escalate_to_membership_id: escalateTo,
            note: input.note?.trim() || null,
            started_by: actor.membershipId,
            started_at: now,
            sharing_decision_id: decision.id,
            created_at: now,
          })
          .execute()
        if (entries.length) await trx.insertInto('file_transfer_item').values(entries.map((e) => ({ partnership_id: P, transfer_id: id, original_entry_id: e.id, copy_entry_id: null }))).execute()
        await clocks.start(trx, { partnershipId: P, rule: TRANSFER_RULE, childId, subjectType: TRANSFER_SUBJECT, subjectId: id, startedAt: now, dueAt: due.dueAt, schoolId: actor.agencyId, escalateToMembershipId: escalateTo })
        if (toAgencyId) {
          const dsls = await membershipsWithRoles(trx, P, toAgencyId, DSL_ROLES, now)
          await notifyMemberships(trx, P, dsls.map((m) => m.id), { kind: 'transfer.incoming', childId, subjectType: TRANSFER_SUBJECT, subjectId: id, link: `/file-transfers/${id}` }, now)
        }
        return {
          result: { id, dueAt: due.dueAt, newTerm: due.newTerm, entryCount: entries.length, sharingDecisionId: decision.id },
          audit: {
            action: 'transfer.start',
            outcome: 'success' as const,
            entityType: 'file_transfer',
            entityId: id,
            childIds: [childId],
            relationshipId: access.relationshipId,
            details: { destination: input.destination, toAgencyId, leftOn: input.leftOn, startsOn: input.startsOn ?? null, clockStartsOn: due.clockStartsOn, newTerm: due.newTerm, dueAt: due.dueAt, entries: entries.map((e) => e.id), sharingDecision: { id: decision.id, ...decision.auditRecord.details } },
          },
        }
      })
    },

    /** The school's transfers: incoming (to receive) and outgoing, open first, soonest due first. */
    async list() {
      return auditedTransaction(ctx, actor, 'transfer.list', async (trx, now) => {
        const incoming = mayReceive ? await transferQuery(trx).where('t.to_agency_id', '=', actor.agencyId).where('t.status', '!=', 'withdrawn').orderBy(sql`t.status = 'sent'`, 'desc').orderBy('t.due_at').limit(500).execute() : []
        const outgoing = maySend ? await transferQuery(trx).where('t.from_agency_id', '=', actor.agencyId).orderBy(sql`t.status = 'sent'`, 'desc').orderBy('t.due_at').limit(500).execute() : []
        return {
          result: { incoming: incoming.map((t) => view(t, now)), outgoing: outgoing.map((t) => view(t, now)) },
          audit: { action: 'transfer.list', outcome: 'success' as const, childIds: [...new Set([...incoming, ...outgoing].map((t) => t.child_id))], details: { incoming: incoming.map((t) => t.id), outgoing: outgoing.map((t) => t.id) } },
        }
      })
    },

    /** One transfer: its state and clock; the file's entries as the actor may see them (the new school: only after receipt). */
    async get(id: string) {
      return auditedTransaction(ctx, actor, 'transfer.view', async (trx, now) => {
        const found = await transferAccess(trx, id)
        if (!found) return notFound('transfer.view', 'file_transfer', id)
        const { t, sender, receiver } = found
        const clock = await trx.selectFrom('clock').select(['state', 'due_at', 'met_at', 'reason', 'escalated_at']).where('partnership_id', '=', P).where('subject_type', '=', TRANSFER_SUBJECT).where('subject_id', '=', t.id).orderBy('created_at', 'desc').limit(1).executeTakeFirst()
        // the sender sees its originals, the receiver (after receipt) its copies — each through the one visibility rule
        const column = sender ? 'i.original_entry_id' : 'i.copy_entry_id'
        const entries =
          sender || (receiver && t.status === 'received')
            ? await trx
                .selectFrom('file_transfer_item as i')
                .innerJoin('entry as e', 'e.id', column)
                .select(['e.id', 'e.type', 'e.summary', 'e.occurred_at', 'e.occurred_time_known', 'e.significance', 'e.visibility'])
                .where('i.partnership_id', '=', P)
                .where('i.transfer_id', '=', t.id)
                .where(entryVisible(actor, now))
                .orderBy('e.occurred_at')
                .orderBy('e.id')
                .execute()
            : []
        const exports = sender && t.destination === 'outside' ? await trx.selectFrom('file_transfer_export').select(['id', 'created_at', 'file_name', 'sha256', 'downloads']).where('partnership_id', '=', P).where('transfer_id', '=', t.id).orderBy('created_at', 'desc').execute() : []
        return {
          result: {
            transfer: view(t, now),
            clock: clock ?? null,
            entries,
            exports,
            isSender: sender,
            isReceiver: receiver,
            isEscalation: found.escalation,
            canReceive: receiver && t.status === 'sent',
            canExport: sender && t.destination === 'outside' && t.status !== 'withdrawn',
            canConfirm: sender && t.destination === 'outside' && t.status === 'sent',
            canWithdraw: sender && t.status === 'sent',
            downloaded: exports.some((x) => x.downloads > 0),
          },
          audit: { action: 'transfer.view', outcome: 'success' as const, entityType: 'file_transfer', entityId: t.id, childIds: [t.child_id], details: { as: sender ? 'sender' : receiver ? 'receiver' : 'escalation', entries: entries.map((e) => e.id) } },
        }
      })
    },

    /** The new school's DSL confirms receipt (in the partnership): copies the file into the school's record; stops the clock. */
    async receive(id: string, lateReasonRaw: string | null) {
      return auditedTransaction(ctx, actor, 'transfer.receive', async (trx, now) => {
        const found = await transferAccess(trx, id, { forUpdate: true, withdrawnToUs: true })
        if (found?.withdrawnToUs) throw new WithdrawnRefusal('The school that sent this file has withdrawn it: there is nothing to receive')
        if (!found || !found.receiver) return notFound('transfer.receive', 'file_transfer', id)
        const { t } = found
        if (t.status !== 'sent') throw new RefusedError('This file has already been received')
        const late = now > t.due_at
        const lateReason = lateReasonRaw?.trim() || null
        const record = await receivingRecord(trx, t, now)
        const originals = await itemEntries(trx, t.id).execute()
        const copies: string[] = []
        for (const e of originals) {
          const copyId = randomUUID()
          await trx
            .insertInto('entry')
            .values({
              id: copyId,
              partnership_id: P,
              child_id: t.child_id,
              agency_record_id: record.id,
              type: e.type,
              category: e.category,
              occurred_at: e.occurred_at,
              occurred_time_known: e.occurred_time_known,
              recorded_at: now,
              author_membership_id: actor.membershipId,
              author_team_id: actor.teamId,
              source_agency_id: actor.agencyId,
              significance: e.significance,
              summary: `From ${t.from_name}’s child protection file: ${e.summary}`,
              detail_type: TRANSFER_SUBJECT,
              detail_id: t.id,
              visibility: 'agency',
              addressed_to_membership_id: null,
              supersedes_entry_id: null,
            })
            .execute()
          await trx.updateTable('file_transfer_item').set({ copy_entry_id: copyId }).where('partnership_id', '=', P).where('transfer_id', '=', t.id).where('original_entry_id', '=', e.id).execute()
          copies.push(copyId)
        }
        // met, or met late with the reason (without it, refused on its field: the copies above are not kept)
        await stopClock(trx, t, now, late ? lateReason : null, 'The file is received after its due date: record the reason it is late')
        const keeps = await applyKeeps(trx, t, now)
        await trx
          .updateTable('file_transfer')
          .set({ status: 'received', received_by: actor.membershipId, received_at: now, late_reason: late ? lateReason : null, received_agency_record_id: record.id, old_school_keeps: keeps, row_version: t.row_version + 1 })
          .where('id', '=', t.id)
          .execute()
        await notifyMemberships(trx, P, [t.started_by], { kind: 'transfer.received', childId: t.child_id, subjectType: TRANSFER_SUBJECT, subjectId: t.id, link: `/file-transfers/${t.id}` }, now)
        return {
          result: { id: t.id, late, copies, agencyRecordId: record.id },
          audit: { action: 'transfer.receive', outcome: 'success' as const, entityType: 'file_transfer', entityId: t.id, childIds: [t.child_id], details: { late, lateReason: late ? lateReason : null, copies: copies.length, agencyRecordId: record.id, createdAgencyRecord: record.created, oldSchoolKeeps: keeps } },
        }
      })
    },

    /** Outside the partnership: a new encrypted export of the file. The passphrase is returned once and never stored. */
    async makeExport(id: string) {
      return auditedTransaction(ctx, actor, 'transfer.export', async (trx, now) => {
        const found = await transferAccess(trx, id, { forUpdate: true })
        if (!found || !found.sender) return notFound('transfer.export', 'file_transfer', id)
        const { t } = found
        if (t.destination !== 'outside') throw new RefusedError('A school in the partnership receives the file in TeamAround: there is nothing to export')
        if (t.status === 'withdrawn') throw new RefusedError('This transfer has been withdrawn: no encrypted file can be made')
        const entries = await itemEntries(trx, t.id).execute()
        const content = {
          format: EXPORT_FORMAT,
          note: 'Child protection file (separate from the pupil file), sent under Keeping children safe in education. Confidential: for the designated safeguarding lead.',
          exportedAt: now.toISOString(),
          from: { school: t.from_name, sentBy: t.starter_name, role: roleLabel(t.starter_role) },
          to: { school: t.to_school_name, contact: t.to_school_contact },
          child: { givenName: t.child_given_name, familyName: t.child_family_name, dateOfBirth: t.child_dob, upn: t.child_upn },
          leftOn: t.left_on,
          startsOn: t.starts_on,
          entries: entries.map((e) => ({ occurredAt: e.occurred_at.toISOString(), timeKnown: e.occurred_time_known, recordedAt: e.recorded_at.toISOString(), type: e.type, category: e.category, significance: e.significance, summary: e.summary, authorRole: roleLabel(e.author_role) })),
        }
        const passphrase = newPassphrase()
        const file = encryptExport(JSON.stringify(content, null, 2), passphrase)
        const exportId = randomUUID()
        // no personal data in the name: it travels unencrypted (an email attachment, the browser's downloads)
        const fileName = `cp-file-${t.id.slice(0, 8)}-${now.toISOString().slice(0, 10)}.json`
        const hash = sha256(file)
        await trx.insertInto('file_transfer_export').values({ id: exportId, partnership_id: P, transfer_id: t.id, created_by: actor.membershipId, created_at: now, file_name: fileName, ciphertext: file, sha256: hash }).execute()
        // a form shown before this export (withdrawal) is now stale
        await trx.updateTable('file_transfer').set({ row_version: t.row_version + 1 }).where('partnership_id', '=', P).where('id', '=', t.id).execute()
        return {
          result: { exportId, passphrase, fileName, sha256: hash, entryCount: entries.length },
          audit: { action: 'transfer.export', outcome: 'success' as const, entityType: 'file_transfer', entityId: t.id, childIds: [t.child_id], details: { exportId, entries: entries.map((e) => e.id), sha256: hash } },
        }
      })
    },

    /** Downloads an export (the ciphertext): audited every time. */
    async download(id: string, exportId: string) {
      return auditedTransaction(ctx, actor, 'transfer.download', async (trx) => {
        const found = await transferAccess(trx, id, { forUpdate: true })
        if (!found || !found.sender || !isUuid(exportId)) return notFound('transfer.download', 'file_transfer', id)
        if (found.t.status === 'withdrawn') throw new WithdrawnRefusal('This transfer has been withdrawn: its encrypted file was emptied and can no longer be downloaded')
        const x = await trx.selectFrom('file_transfer_export').select(['id', 'file_name', 'ciphertext', 'sha256']).where('partnership_id', '=', P).where('transfer_id', '=', found.t.id).where('id', '=', exportId).executeTakeFirst()
        if (!x) return notFound('transfer.download', 'file_transfer', id)
        await trx.updateTable('file_transfer_export').set((eb) => ({ downloads: eb('downloads', '+', 1) })).where('id', '=', x.id).execute()
        // a withdrawal form shown before this download (it says "not downloaded") is now stale
        await trx.updateTable('file_transfer').set((eb) => ({ row_version: eb('row_version', '+', 1) })).where('partnership_id', '=', P).where('id', '=', found.t.id).execute()
        return {
          result: { fileName: x.file_name, bytes: Buffer.from(x.ciphertext) },
          audit: { action: 'transfer.download', outcome: 'success' as const, entityType: 'file_transfer', entityId: found.t.id, childIds: [found.t.child_id], details: { exportId: x.id, sha256: x.sha256 } },
        }
      })
    },

    /** Outside the partnership: the old DSL records who at the new school confirmed receipt, and when. Stops the clock. */
    async confirm(id: string, input: ConfirmInput) {
      return auditedTransaction(ctx, actor, 'transfer.confirm', async (trx, now) => {
        const found = await transferAccess(trx, id, { forUpdate: true })
        if (!found || !found.sender) return notFound('transfer.confirm', 'file_transfer', id)
        const { t } = found
        if (t.destination !== 'outside') throw new RefusedError('A school in the partnership confirms receipt itself')
        if (t.status !== 'sent') throw new RefusedError('Receipt of this file has already been recorded')
        const exported = await trx.selectFrom('file_transfer_export').select('id').where('partnership_id', '=', P).where('transfer_id', '=', t.id).where('downloads', '>', 0).executeTakeFirst()
        if (!exported) throw new FieldRefusedError('Download the encrypted file and send it before recording its receipt', 'name')
        // "when": the day the new school confirmed, counted at midday (London), never later than now
        if (input.confirmedOn < londonDateTime(t.started_at).date) throw new FieldRefusedError('Receipt cannot be confirmed before the file was sent', 'confirmedOn')
        if (input.confirmedOn > londonDateTime(now).date) throw new FieldRefusedError('The date receipt was confirmed cannot be in the future', 'confirmedOn')
        const at = new Date(Math.max(t.started_at.getTime(), Math.min(now.getTime(), londonDateTime.toInstant(input.confirmedOn, '12:00').getTime())))
        const late = at > t.due_at
        const lateReason = input.lateReason?.trim() || null
        await stopClock(trx, t, at, late ? lateReason : null, 'Receipt was confirmed after the due date: record the reason it is late')
        const keeps = await applyKeeps(trx, t, now)
        await trx
          .updateTable('file_transfer')
          .set({ status: 'received', received_by: actor.membershipId, received_at: at, confirmed_by_name: input.name.trim(), confirmed_by_role: input.role.trim(), late_reason: late ? lateReason : null, old_school_keeps: keeps, row_version: t.row_version + 1 })
          .where('id', '=', t.id)
          .execute()
        return {
          result: { id: t.id, late },
          audit: { action: 'transfer.confirm', outcome: 'success' as const, entityType: 'file_transfer', entityId: t.id, childIds: [t.child_id], details: { confirmedBy: input.name.trim(), role: input.role.trim(), confirmedOn: input.confirmedOn, late, lateReason: late ? lateReason : null, oldSchoolKeeps: keeps } },
        }
      })
    },

    /**
     * The sending school withdraws a transfer not yet received, with the reason: the new school no longer sees it, it
     * can no longer be received, the R9 clock stops (not applicable), the exports are emptied, the chronology records
     * it, whoever was told of the transfer is told. A stale form is a conflict (nothing changes).
     */
    async withdraw(id: string, input: WithdrawInput) {
      return auditedTransaction<{ status: 'conflict' } | { status: 'withdrawn'; afterDownload: boolean } | null>(ctx, actor, 'transfer.withdraw', async (trx, now) => {
        const found = await transferAccess(trx, id, { forUpdate: true })
        if (!found || !found.sender) return notFound('transfer.withdraw', 'file_transfer', id)
        const { t } = found
        const base = { action: 'transfer.withdraw', entityType: 'file_transfer', entityId: t.id, childIds: [t.child_id] }
        if (t.status === 'received') throw new RefusedError('The new school has received this file: a received transfer cannot be withdrawn')
        if (t.status === 'withdrawn') throw new RefusedError('This transfer has already been withdrawn')
        if (t.row_version !== input.rowVersion) return { result: { status: 'conflict' as const }, audit: { ...base, outcome: 'refused' as const, details: { reason: 'stale', had: input.rowVersion, now: t.row_version } } }
        const reason = input.reason.trim()
        if (!reason) throw new FieldRefusedError('Say why you are withdrawing the transfer', 'withdrawReason')

        // an export for a school outside the partnership: emptied; whether one had been downloaded is recorded
        const exports = await trx.selectFrom('file_transfer_export').select(['id', 'downloads', 'sha256']).where('partnership_id', '=', P).where('transfer_id', '=', t.id).execute()
        const afterDownload = exports.some((x) => x.downloads > 0)
        if (exports.length) await trx.updateTable('file_transfer_export').set({ ciphertext: Buffer.alloc(0) }).where('partnership_id', '=', P).where('transfer_id', '=', t.id).execute()
        // the R9 clock no longer applies: stopped, so the dashboard counts it neither due nor overdue
        const stopped = await trx
          .updateTable('clock')
          .set({ state: 'stopped', met_at: now, reason: WITHDRAWN_CLOCK_REASON })
          .where('partnership_id', '=', P)
          .where('subject_type', '=', TRANSFER_SUBJECT)
          .where('subject_id', '=', t.id)
          .where('state', 'in', ['running', 'overdue'])
          .returning('id')
          .execute()
        await trx
          .updateTable('file_transfer')
          .set({ status: 'withdrawn', withdrawn_by: actor.membershipId, withdrawn_at: now, withdraw_reason: reason, withdrawn_after_download: afterDownload, row_version: t.row_version + 1 })
          .where('partnership_id', '=', P)
          .where('id', '=', t.id)
          .execute()
        // the chronology records it as the sending did: an entry of the sending school, seen as the sharing decision's was
        const decision = await trx.selectFrom('sharing_decision').select('visibility').where('partnership_id', '=', P).where('id', '=', t.sharing_decision_id).executeTakeFirst()
        const toName = t.destination === 'partnership' ? t.to_name : t.to_school_name
        const entryId = randomUUID()
        await trx
          .insertInto('entry')
          .values({
            id: entryId,
            partnership_id: P,
            child_id: t.child_id,
            agency_record_id: null,
            type: TRANSFER_ENTRY,
            category: null,
            ...authoredNow(actor, now),
            significance: 'medium',
            summary: `Withdrew the transfer of the child protection file to ${toName ?? 'the new school'}${afterDownload ? ', after its encrypted file had been downloaded' : ''} (the reason is on the transfer)`,
            detail_type: TRANSFER_SUBJECT,
            detail_id: t.id,
            visibility: decision?.visibility ?? 'team',
            addressed_to_membership_id: null,
            supersedes_entry_id: null,
          })
          .execute()
        // whoever was told of the transfer (the new school's DSLs, an escalation) and its sender, if someone else withdrew it
        const told = await trx.selectFrom('notification').select('membership_id').distinct().where('partnership_id', '=', P).where('subject_type', '=', TRANSFER_SUBJECT).where('subject_id', '=', t.id).execute()
        const notified = [...new Set([...told.map((n) => n.membership_id), t.started_by])].filter((m) => m !== actor.membershipId)
        // the new school's link is its list: the transfer itself is no longer theirs to see
        const incoming = new Set<string>(t.to_agency_id && notified.length ? (await trx.selectFrom('membership').select('id').where('partnership_id', '=', P).where('agency_id', '=', t.to_agency_id).where('id', 'in', notified).execute()).map((m) => m.id) : [])
        const notice = { kind: 'transfer.withdrawn', childId: t.child_id, subjectType: TRANSFER_SUBJECT, subjectId: t.id }
        await notifyMemberships(trx, P, notified.filter((m) => incoming.has(m)), { ...notice, link: '/file-transfers' }, now)
        await notifyMemberships(trx, P, notified.filter((m) => !incoming.has(m)), { ...notice, link: `/file-transfers/${t.id}` }, now)
        return {
          result: { status: 'withdrawn' as const, afterDownload },
          audit: {
            ...base,
            outcome: 'success' as const,
            details: { reason, destination: t.destination, toAgencyId: t.to_agency_id, exportsEmptied: exports.map((x) => ({ id: x.id, sha256: x.sha256, downloads: x.downloads })), afterDownload, clocksStopped: stopped.map((c) => c.id), entryId, notified, sharingDecisionId: t.sharing_decision_id },
          },
        }
      })
    },
  }
}

export type TransfersRepository = ReturnType<typeof transfersRepository>
