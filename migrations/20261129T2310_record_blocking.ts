import { sql, type Kysely } from 'kysely'

// Blocking for the agency-record matcher (src/modules/records/repository.ts), so that a record whose date of birth
// is wrong (transposed, a day or a digit out) and that has no exact NHS number or UPN still meets its child:
//  - child_block_family: the partnership's children by the sound (Soundex, fuzzystrmatch) of the first part of the
//    family name, then date of birth — "the same year of birth and a family name that sounds the same" is one
//    index range per name part of the incoming record;
//  - child_upn: UPN lookups (exact, and the one-edit variants of a mistyped UPN), as child_nhs serves NHS numbers.
// ta_block_sx is the key: apostrophes dropped, anything but letters a word break, Soundex of the first word ('' for
// none). The matcher applies the same function to the record's side, so both sides always agree. It keeps the search
// path it was made with (where the person-search migration put fuzzystrmatch): PostgreSQL 17 (PGlite) builds an
// index with a search path of pg_catalog only.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
create function ta_block_sx(name text) returns text language sql immutable parallel safe set search_path from current as $$
  select soundex(split_part(btrim(regexp_replace(regexp_replace(lower(coalesce(name, '')), '[''’]', '', 'g'), '[^a-z]+', ' ', 'g')), ' ', 1))
$$;
create index child_block_family on child (partnership_id, ta_block_sx(family_name), date_of_birth);
create index child_upn on child (partnership_id, upn);
`.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists child_upn, child_block_family; drop function if exists ta_block_sx`.execute(db)
}
