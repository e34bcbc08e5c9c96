import { sql, type Kysely } from 'kysely'

// A concern routed to people of another agency (the child's school's safeguarding leads, a team's lead practitioner of
// another agency, the front door: src/modules/concerns/repository.ts) moves the raiser's agency's information to theirs,
// and is recorded as a sharing decision in the concern's transaction (src/modules/sharing/concern.ts). Its context is
// `concern`, `context_id` the concern. The check that lists the contexts gains it; nothing else changes.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
alter table sharing_decision drop constraint sharing_decision_context_check;
alter table sharing_decision add constraint sharing_decision_context_check
  check (context in ('manual','request_answer','referral','visibility_change','file_transfer','concern'));
`.execute(db)
}

// (a database that recorded concerns' sharing decisions cannot go back: they are never deleted, and the old check would
// refuse them)
export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
alter table sharing_decision drop constraint sharing_decision_context_check;
alter table sharing_decision add constraint sharing_decision_context_check
  check (context in ('manual','request_answer','referral','visibility_change','file_transfer'));
`.execute(db)
}
