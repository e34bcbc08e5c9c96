import { sql, type Kysely } from 'kysely'

// A reviewer's merge moves an agency record (its entries and relationship) to the child it is the same as, and keeps
// the record's own child, empty, so that an unmerge can give the record back to it. Until now that empty child stayed
// a candidate for the matcher with the record's own details, so the next record with those details linked to it —
// the empty child — rather than to the child it had been merged into, splitting the child's information again.
// merged_into_child_id marks such a child while it holds nothing of its own: the matcher and the search leave it out;
// an unmerge back to it clears the mark.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
alter table child add column merged_into_child_id uuid references child(id);
-- the children already left empty by a merge still in force: no agency record and no entry of their own
update child c set merged_into_child_id = d.to_child_id
  from link_decision d
  join agency_record r on r.partnership_id = d.partnership_id and r.id = d.agency_record_id
 where d.partnership_id = c.partnership_id and d.kind = 'merge' and d.from_child_id = c.id
   and r.match_state = 'merged_by_reviewer' and r.child_id = d.to_child_id
   and not exists (select 1 from agency_record o where o.partnership_id = c.partnership_id and o.child_id = c.id)
   and not exists (select 1 from entry e where e.partnership_id = c.partnership_id and e.child_id = c.id);
`.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table child drop column if exists merged_into_child_id;`.execute(db)
}
