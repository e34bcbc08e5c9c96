// Writing audit rows: one per read or write of a child's record, per list/search (with the ids returned), per
// sign-in and per refusal. Inserted in the caller's transaction; refusals and failures in their own.
import type { Kysely, Transaction } from 'kysely'
import type { DB, AuditEventTable } from './schema.ts'
import type { Actor, SystemActor } from './actor.ts'

export type AuditOutcome = AuditEventTable['outcome']

export interface AuditRecord {
  action: string
  outcome: AuditOutcome
  entityType?: string | null
  entityId?: string | null
  childIds?: readonly string[]
  relationshipId?: string | null
  /** Identifiers and terms only: never case narrative. */
  details?: Record<string, unknown>
}

export type AuditActor =
  | Actor
  | SystemActor
  | { kind: 'anonymous'; partnershipId: string; practitionerId?: string | null; requestId: string }

/** The audit row's columns for an actor and a record: the one mapping, also used where a row is written inside a larger statement. */
export function auditValues(actor: AuditActor, at: Date, rec: AuditRecord) {
  return {
    partnership_id: actor.partnershipId,
    at,
    actor_kind: actor.kind,
    actor_practitioner_id: actor.kind === 'practitioner' ? actor.practitionerId : actor.kind === 'anonymous' ? (actor.practitionerId ?? null) : null,
    actor_membership_id: actor.kind === 'practitioner' ? actor.membershipId : null,
    action: rec.action,
    entity_type: rec.entityType ?? null,
    entity_id: rec.entityId ?? null,
    child_ids: [...(rec.childIds ?? [])],
    relationship_id: rec.relationshipId ?? null,
    outcome: rec.outcome,
    request_id: actor.requestId,
    details: auditDetails(actor, rec.details) as unknown as Record<string, unknown>,
  }
}

/**
 * An audit row's details as they are written (JSON text): a system job's name, then the record's own. For a statement
 * kept compiled (src/data/compiled-statements.ts), whose details are a request's value put in at each execution.
 */
export function auditDetails(actor: AuditActor, details?: Record<string, unknown>): string {
  return JSON.stringify({ ...(actor.kind === 'system' ? { job: actor.job } : {}), ...(details ?? {}) })
}

export async function writeAudit(db: Kysely<DB> | Transaction<DB>, actor: AuditActor, at: Date, rec: AuditRecord): Promise<void> {
  await db.insertInto('audit_event').values(auditValues(actor, at, rec)).execute()
}
