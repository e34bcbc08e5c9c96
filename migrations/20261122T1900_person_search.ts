import { sql, type Kysely } from 'kysely'

// Typo-tolerant person search (pg_trgm; fuzzystrmatch for sound-alikes), on both engines.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create extension if not exists pg_trgm`.execute(db)
  await sql`create extension if not exists fuzzystrmatch`.execute(db)
  await sql`
create function ta_search_name(given text, family text) returns text language sql immutable parallel safe as $$
  select lower(coalesce(given, '') || ' ' || coalesce(family, ''))
$$;
create index child_name_trgm on child using gin (ta_search_name(given_name, family_name) gin_trgm_ops);
create index child_dob on child (partnership_id, date_of_birth);
create index child_other_name_trgm on child_name using gin (ta_search_name(given_name, family_name) gin_trgm_ops);
`.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists child_other_name_trgm, child_dob, child_name_trgm; drop function if exists ta_search_name`.execute(db)
}
