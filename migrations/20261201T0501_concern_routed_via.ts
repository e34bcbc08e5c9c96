import { sql, type Kysely } from 'kysely'

// Which rung of the routing rule (routeAway in src/modules/concerns/repository.ts; ADR 0003) a routed concern went by:
// the safeguarding leads of the agency that holds the child ('holder_leads': its school first), the lead practitioner
// of the child's team around the child ('team_lead'), or the front door ('front_door'). The concern's status says whom
// it waits for from it (routed_to alone names people, not why they have it: a school's DSL may lead a team, a
// front-door worker may be a lead practitioner). Null exactly when the concern was not routed away (its raiser's
// agency's safeguarding leads decide it).
// Concerns routed before this column are given the rung routeAway would have taken for the people they went to, in its
// order: a safeguarding lead of an agency that holds (or held) the child; else a lead practitioner of a team around
// the child; else the front door.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
alter table concern add column routed_via text check (routed_via in ('holder_leads', 'team_lead', 'front_door'));
update concern k set routed_via = case
  when exists (
    select 1 from membership m
    join relationship r on r.partnership_id = k.partnership_id and r.holder_agency_id = m.agency_id and r.child_id = k.child_id and r.type in ('pupil_at', 'agency_record')
    where m.partnership_id = k.partnership_id and m.id = any(k.routed_to) and m.role in ('dsl', 'deputy_dsl', 'headteacher')
  ) then 'holder_leads'
  when exists (
    select 1 from tac t
    join tac_child tc on tc.tac_id = t.id and tc.partnership_id = t.partnership_id
    where t.partnership_id = k.partnership_id and tc.child_id = k.child_id and t.lead_membership_id = any(k.routed_to)
  ) then 'team_lead'
  else 'front_door' end
where k.routed_to <> '{}';
alter table concern add constraint concern_routed_via check ((routed_via is null) = (routed_to = '{}'));
`.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
alter table concern drop constraint if exists concern_routed_via;
alter table concern drop column if exists routed_via;
`.execute(db)
}
