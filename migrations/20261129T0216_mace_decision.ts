import { sql, type Kysely } from 'kysely'

// Exploitation (MACE): what the panel decided when it heard a referral (a multi-agency plan, or no further panel
// involvement and why), who attended, and when the case left the panel. A decision of "no further involvement"
// has no team (so no meeting row): the referral itself carries the hearing.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
alter table mace_referral
  add column heard_at timestamptz,
  add column decision text check (decision in ('plan','no_further')),
  add column decision_reason text,
  add column attendees text not null default '',
  add column heard_by uuid references membership(id),
  add column closed_at timestamptz,
  add column closed_reason text,
  add column row_version integer not null default 1;
`.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
alter table mace_referral
  drop column if exists heard_at,
  drop column if exists decision,
  drop column if exists decision_reason,
  drop column if exists attendees,
  drop column if exists heard_by,
  drop column if exists closed_at,
  drop column if exists closed_reason,
  drop column if exists row_version;
`.execute(db)
}
