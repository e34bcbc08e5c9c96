import { sql, type Kysely } from 'kysely'

// An assessment ends when it is completed, or — new — when its team around the child closes while it is still in
// progress: it is closed with the team (closed_at, and the outcome in closure_reason), so no list or dashboard shows
// it as live and the child's next assessment, in a team of their own, is not refused because of it (one child and
// family assessment in progress per child). closeTac (src/modules/tac/store.ts) closes them, audited, with a
// chronology entry each. The assessments of teams already closed are closed here with their team's date and reason
// (their clocks were already stopped when the team closed).
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
alter table assessment drop constraint assessment_status_check;
alter table assessment add constraint assessment_status_check check (status in ('in_progress','completed','closed'));
alter table assessment add column closed_at timestamptz, add column closure_reason text;
alter table assessment add constraint assessment_closed check ((status = 'closed') = (closed_at is not null and closure_reason is not null));
update assessment a set status = 'closed', closed_at = coalesce(t.closed_at, a.started_at),
       closure_reason = 'Closed with the team around the child: ' || coalesce(t.closure_reason, 'the team closed')
  from tac t
 where t.partnership_id = a.partnership_id and t.id = a.tac_id and t.status = 'closed' and a.status = 'in_progress';
`.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
alter table assessment drop constraint if exists assessment_closed;
update assessment set status = 'in_progress' where status = 'closed';
alter table assessment drop column if exists closure_reason, drop column if exists closed_at;
alter table assessment drop constraint assessment_status_check;
alter table assessment add constraint assessment_status_check check (status in ('in_progress','completed'));
`.execute(db)
}
