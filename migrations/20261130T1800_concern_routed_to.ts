import { sql, type Kysely } from 'kysely'

// A concern about a child that the raiser's own safeguarding leads cannot open (a child the raiser reaches only
// through a relationship of their own: another school's pupil in a team around the child they are in) goes to someone
// who can open it and decide (src/modules/concerns/repository.ts): the safeguarding leads of the agency that holds the
// child, else the lead practitioner of the child's team around the child, else the front door. `routed_to` names them
// (the memberships told); empty, the concern is its raiser's agency's, as every concern was before. The index covers
// only routed concerns, so the common insert (an empty array) does not touch it.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
alter table concern add column routed_to uuid[] not null default '{}';
create index concern_routed_to on concern using gin (routed_to) where routed_to <> '{}';
`.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
drop index if exists concern_routed_to;
alter table concern drop column if exists routed_to;
`.execute(db)
}
