// Notifications: an in-app item (a kind and a link; the page reads the child through the reach predicate) and
// an email through the outbox that carries no personal data at all. Written in the caller's transaction.
import { sql, type Transaction } from 'kysely'
import type { DB } from './schema.ts'
import { currentMembershipsQuery } from './memberships.ts'

export const NOTIFICATION_TEXT: Record<string, string> = {
  'concern.new': 'A new concern has been logged about a pupil',
  'concern.outcome': 'The DSL has recorded the outcome of your concern',
  'concern.stand-in': 'A concern is waiting for you to decide it: those it was waiting for have left',
  'consultation.asked': 'A school has asked for a consultation',
  'consultation.answered': 'The school-based social worker has answered your consultation',
  'allegation.new': 'A new allegation about an adult has been reported',
  'referral.new': 'A new contact or referral has reached the front door',
  'referral.decided': 'The front door has decided your referral',
  'concern.referral-decided': 'The front door has decided the referral your concern led to',
  'referral.sign-off': 'A front door decision is waiting for your sign-off',
  'challenge.new': 'A referrer has challenged a front door decision',
  'challenge.answered': 'Your challenge has been answered',
  'clock.overdue': 'A statutory timescale has been missed',
  'signal.fired': 'A risk signal has fired: strands from different agencies have combined',
  'encompass.notice': 'An Operation Encompass notice has arrived for a pupil',
  'missing.rhi': 'A return home interview needs to be offered',
  'missing.reported': 'A child you work with has been reported missing',
  'mace.referral': 'A child has been referred to the exploitation (MACE) panel',
  'mace.heard': 'The exploitation (MACE) panel has heard your referral',
  'visit.joint': 'You have been asked to make a joint visit to a child',
  'visit.joint-recorded': 'A joint visit you were part of has been recorded',
  'visit.joint-cancelled': 'A joint visit you were part of has been cancelled',
  'tac.invited': 'You have been invited to join a team around a child',
  'tac.joined': 'A practitioner has joined a team around a child you are in',
  'tac.lead': 'You are the lead practitioner of a team around a child',
  'tac.level': 'A team around a child you are in has changed level',
  'meeting.invited': 'You have been invited to a meeting of a team around a child',
  'meeting.rescheduled': 'A meeting you are invited to has moved to a new date or time',
  'meeting.cancelled': 'A meeting you were invited to has been cancelled',
  'meeting.not-held': 'A meeting you were invited to did not take place: the reason is recorded on the meeting',
  'meeting.chair': 'You have been asked to chair a meeting of a team around a child',
  'meeting.chair-handed-on': 'A meeting you were chairing has a new chair',
  'missing.repeat': 'A child you work with has gone missing repeatedly: a strategy meeting is prompted',
  'assessment.contribution': 'A member of the team has contributed to an assessment you lead',
  'assessment.completed': 'An assessment in a team around a child you are in has been completed',
  'access.break-glass': 'Emergency access (break-glass) has been used: it is waiting for your review',
  'access.self-claim': 'A practitioner has claimed a relationship with a child: it is waiting for your review',
  'access.self-claim.manager': 'A practitioner you manage has claimed a relationship with a child',
  'access.inappropriate': 'Information governance has found a practitioner’s use of emergency or claimed access inappropriate',
  'request.asked': 'Your agency has been asked what it knows about a child (a request for information)',
  'request.answered': 'An agency has answered your request for information',
  'request.declined': 'An agency has declined your request for information, with its reasons',
  'request.withdrawn': 'A request for information to your agency has been withdrawn',
  'transfer.incoming': 'A child protection file is on its way to your school: confirm you have received it',
  'transfer.received': 'The new school has confirmed receipt of a child protection file you sent',
  'transfer.withdrawn': 'A child protection file transfer has been withdrawn by the school that sent it',
  'approval.requested': 'A request needs a second person’s approval (sealing or unsealing an entry)',
  'approval.decided': 'Your request for approval has been decided',
  'sar.release-requested': 'A subject access response is waiting for a second information governance officer’s approval',
  'export.requested': 'A bulk export is waiting for a second information governance officer’s approval',
  'account.suspended': 'An account has been suspended after repeated wrong sign-in codes: an administrator must enable it again',
}

export interface Notice {
  kind: keyof typeof NOTIFICATION_TEXT | string
  childId?: string | null
  subjectType?: string
  subjectId?: string
  link: string
}

/**
 * Tells these memberships — those of them in post: the membership started and not ended, the practitioner not
 * disabled (an item for anyone else could not be read, and an email would point nowhere). The in-app item, and one
 * email per distinct address with no names and no case detail, only that there is something to look at. Returns the
 * memberships told, so a caller can fall back to someone else when nobody was.
 */
export async function notifyMemberships(trx: Transaction<DB>, partnershipId: string, membershipIds: readonly string[], notice: Notice, now: Date): Promise<string[]> {
  const unique = [...new Set(membershipIds)]
  if (!unique.length) return []
  const email = emailFor(notice.kind)
  // one statement: the current memberships among those given, their in-app items, and the emails
  const told = await trx
    .with('r', () => currentMembershipsQuery(trx, partnershipId, now).where('m.id', 'in', unique).select(['m.id', 'p.email']))
    .with('n', (db) =>
      db
        .insertInto('notification')
        .columns(['id', 'partnership_id', 'membership_id', 'kind', 'child_id', 'subject_type', 'subject_id', 'link', 'created_at'])
        .expression(
          db
            .selectFrom('r')
            .select([
              sql<string>`gen_random_uuid()`.as('id'),
              sql<string>`${partnershipId}::uuid`.as('partnership_id'),
              'r.id as membership_id',
              sql<string>`${notice.kind}::text`.as('kind'),
              sql<string | null>`${notice.childId ?? null}::uuid`.as('child_id'),
              sql<string | null>`${notice.subjectType ?? null}::text`.as('subject_type'),
              sql<string | null>`${notice.subjectId ?? null}::uuid`.as('subject_id'),
              sql<string>`${notice.link}::text`.as('link'),
              sql<Date>`${now}::timestamptz`.as('created_at'),
            ]),
        ),
    )
    .with('o', (db) =>
      db
        .insertInto('outbox')
        .columns(['id', 'partnership_id', 'to_address', 'subject', 'body', 'created_at'])
        .expression(
          db
            .selectFrom('r')
            .groupBy('r.email')
            .select([
              sql<string>`gen_random_uuid()`.as('id'),
              sql<string>`${partnershipId}::uuid`.as('partnership_id'),
              'r.email as to_address',
              sql<string>`${email.subject}::text`.as('subject'),
              sql<string>`${email.body}::text`.as('body'),
              sql<Date>`${now}::timestamptz`.as('created_at'),
            ]),
        ),
    )
    .selectFrom('r')
    .select('r.id')
    .execute()
  return told.map((t) => t.id)
}

/** The email for a notification: no names, no case detail — only that there is something to look at. */
export function emailFor(kind: string): { subject: string; body: string } {
  return {
    subject: 'You have a new item in TeamAround',
    body: `${NOTIFICATION_TEXT[kind] ?? 'You have a new item'}.\n\nSign in to TeamAround to see it. For your security this email does not say who it is about.`,
  }
}

