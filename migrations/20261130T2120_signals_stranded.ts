import { sql, type Kysely } from 'kysely'

// Since 20261130T1830_signals_follow a risk signal follows the entries it names when a merge or an unmerge moves all
// of them to another child (signalsFollowEntries in src/modules/signals/routing.ts). The merges and unmerges made
// before that left their signals behind: on a child none of whose named entries it holds any more — after a merge, a
// child that no longer exists as such, seen by nobody who works with the child the entries went to. This moves each
// such signal by the same rules: when every entry it names that still exists is on one other child, and no signal of
// the same rule for the same entries is on that child already (one fired there since keeps this one where it is);
// a signal whose entries are split between children stays. With it go its entry in the chronology — after the signal,
// the one change the entry trigger admits for it — and the front door's relationship it made. Its rule version,
// acknowledgement and response are kept. A child that the move leaves empty after a merge still in force is marked as
// merged, as the merge would have marked it had the signal's entry not been on it (20261130T1100_merged_child).
//
// An unacknowledged signal must also be routed on its new child (its lead practitioner, else its allocated workers,
// else the front door), telling only those it had not reached. That is the application's routeSignal — whom it tells,
// who is in post, the notification and the front door's relationship — and a migration must not run application code
// (it would run today's code against the schema as it stood at this point of the history). So each signal moved here
// is listed in signal_follow_pending, and the next signal evaluation (evaluateSignals in src/data/system.ts, every
// half-minute) routes the open ones with routeSignal, writes the audit row for all of them (a migration writes none)
// and clears the list. Until then the moved signal is already on the child and listed on its lead practitioner's
// signals page only once routed; nothing is lost if the application stops in between.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
create table signal_follow_pending (
  partnership_id uuid not null references partnership(id),
  signal_id uuid not null references risk_signal(id),
  from_child_id uuid not null references child(id),
  to_child_id uuid not null references child(id),
  moved_at timestamptz not null,
  primary key (partnership_id, signal_id)
);

insert into signal_follow_pending (partnership_id, signal_id, from_child_id, to_child_id, moved_at)
select s.partnership_id, s.id, s.child_id, t.child_ids[1], now()
  from risk_signal s
  cross join lateral (select array_agg(distinct e.child_id) as child_ids
                        from entry e where e.partnership_id = s.partnership_id and e.id = any(s.entry_ids)) t
 where cardinality(t.child_ids) = 1 and t.child_ids[1] <> s.child_id
   and not exists (select 1 from risk_signal o
                    where o.partnership_id = s.partnership_id and o.child_id = t.child_ids[1]
                      and o.rule_code = s.rule_code and o.fingerprint = s.fingerprint);

-- the signal first: the trigger lets a signal's entry move only to the child its signal is on
update risk_signal s set child_id = p.to_child_id
  from signal_follow_pending p where p.partnership_id = s.partnership_id and p.signal_id = s.id;
update entry e set child_id = p.to_child_id
  from signal_follow_pending p
 where e.partnership_id = p.partnership_id and e.child_id = p.from_child_id
   and e.type = 'signal' and e.detail_type = 'risk_signal' and e.detail_id = p.signal_id;
update relationship r set child_id = p.to_child_id
  from signal_follow_pending p
 where r.partnership_id = p.partnership_id and r.child_id = p.from_child_id
   and r.type = 'front_door_contact' and r.source = 'signal ' || p.signal_id::text;

-- a child the signals left empty, merged by a merge still in force (its record is on the child it was merged into)
update child c set merged_into_child_id = (
         select d.to_child_id from link_decision d
           join agency_record r on r.partnership_id = d.partnership_id and r.id = d.agency_record_id
          where d.partnership_id = c.partnership_id and d.kind = 'merge' and d.from_child_id = c.id
            and r.match_state = 'merged_by_reviewer' and r.child_id = d.to_child_id
          order by d.decided_at desc, d.id desc limit 1)
 where c.merged_into_child_id is null
   and exists (select 1 from signal_follow_pending p where p.partnership_id = c.partnership_id and p.from_child_id = c.id)
   and exists (select 1 from link_decision d
                 join agency_record r on r.partnership_id = d.partnership_id and r.id = d.agency_record_id
                where d.partnership_id = c.partnership_id and d.kind = 'merge' and d.from_child_id = c.id
                  and r.match_state = 'merged_by_reviewer' and r.child_id = d.to_child_id)
   and not exists (select 1 from agency_record o where o.partnership_id = c.partnership_id and o.child_id = c.id)
   and not exists (select 1 from entry e where e.partnership_id = c.partnership_id and e.child_id = c.id);
`.execute(db)
  // the default privileges of the foundation migration cover new tables; granted explicitly as well so the app role
  // can use it whoever ran the migration
  await sql`
do $$
begin
  if exists (select 1 from pg_roles where rolname = 'teamaround_app') then
    grant select, insert, update, delete on signal_follow_pending to teamaround_app;
  end if;
end $$`.execute(db)
}

// The signals stay on the children their entries are on (moving them back would strand them again); only the list
// of those still to be routed goes.
export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table if exists signal_follow_pending;`.execute(db)
}
