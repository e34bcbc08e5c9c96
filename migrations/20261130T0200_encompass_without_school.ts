import { sql, type Kysely } from 'kysely'

// An Operation Encompass submission keeps a notice row for every child it names, a child with no school on roll too
// (school and due time empty: no school to tell, no R12 clock, no DSL to notify; the entry on the child's record is
// seen by the police only). Before, such a child had only the entry, so a form sent again with its idempotency key
// could not find it: the entry was written a second time, or a changed form was answered with the first version.
// The rows of the schools' lists and the DSL's acknowledgement are unchanged: they ask for the DSL's own school.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
alter table encompass_notice alter column school_agency_id drop not null, alter column due_at drop not null;
alter table encompass_notice add constraint encompass_notice_school_due check ((school_agency_id is null) = (due_at is null));
`.execute(db)
}

// (the notices of children with no school are removed: their entries stay on the children's records)
export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
alter table encompass_notice drop constraint if exists encompass_notice_school_due;
delete from encompass_notice where school_agency_id is null;
alter table encompass_notice alter column school_agency_id set not null, alter column due_at set not null;
`.execute(db)
}
