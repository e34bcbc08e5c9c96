import { sql, type Kysely } from 'kysely'

// Sharing decisions as records (issue 6, scope 1; R18, R20): whenever information moves beyond its agency — or a
// practitioner decides it must not — the decision is a record: what, with whom, the purpose, the lawful basis (UK GDPR
// Art 6; Art 9 and DPA 2018 Sch 1 for special-category data, with the para 18(2) reason when consent is not sought),
// consent and why, the golden-rules check and the reasons. The partnership's information-sharing agreement (which
// agencies share which information with which, for which purposes) is data: one header row per partnership (its
// version, for optimistic concurrency) and its rules, each kept with the versions it was in force for.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
create table sharing_agreement (
  partnership_id uuid primary key references partnership(id),
  title text not null,
  version integer not null default 1,
  effective_from date not null,
  review_due date,
  updated_by uuid references membership(id),
  updated_at timestamptz not null
);

create table sharing_agreement_rule (
  id uuid primary key,
  partnership_id uuid not null references partnership(id),
  from_agency_kind text check (from_agency_kind in ('school','childrens_social_care','police','health','housing','voluntary','other')),
  from_agency_id uuid references agency(id),
  to_agency_kind text check (to_agency_kind in ('school','childrens_social_care','police','health','housing','voluntary','other')),
  to_agency_id uuid references agency(id),
  categories text[] not null check (cardinality(categories) > 0),
  purposes text[] not null check (cardinality(purposes) > 0),
  note text not null default '',
  added_in_version integer not null,
  effective_from timestamptz not null,
  ended_in_version integer,
  effective_to timestamptz,
  created_by uuid references membership(id),
  created_at timestamptz not null,
  ended_by uuid references membership(id),
  check (from_agency_kind is null or from_agency_id is null),
  check (to_agency_kind is null or to_agency_id is null)
);
create index sharing_agreement_rule_current on sharing_agreement_rule (partnership_id, effective_to);

create table sharing_decision (
  id uuid primary key,
  partnership_id uuid not null references partnership(id),
  child_id uuid not null references child(id),
  shared boolean not null,
  what text not null check (length(what) > 0),
  categories text[] not null default '{}',
  entry_ids uuid[] not null default '{}',
  with_agency_ids uuid[] not null default '{}',
  with_other text,
  purpose text not null,
  lawful_basis text not null check (lawful_basis in ('6.1.a','6.1.b','6.1.c','6.1.d','6.1.e','6.1.f')),
  special_category boolean not null,
  art9_condition text,
  schedule1_condition text,
  para18_reason text check (para18_reason in ('cannot_give','cannot_reasonably_obtain','would_prejudice')),
  consent text not null check (consent in ('given','refused','not_sought')),
  consent_reason text,
  golden_rules jsonb not null,
  reasons text not null check (length(reasons) > 0),
  within_agreement boolean,
  agreement_version integer,
  outside_agreement_reason text,
  not_covered jsonb not null default '[]',
  context text not null check (context in ('manual','request_answer','referral','visibility_change','file_transfer')),
  context_id uuid,
  visibility text not null check (visibility in ('agency','team','front_door','restricted','sealed')),
  author_membership_id uuid not null references membership(id),
  author_agency_id uuid not null references agency(id),
  author_team_id uuid references team(id),
  idempotency_key text,
  created_at timestamptz not null,
  check (cardinality(with_agency_ids) > 0 or with_other is not null),
  check (not special_category or art9_condition is not null),
  check (consent = 'given' or consent_reason is not null),
  check (within_agreement is not false or outside_agreement_reason is not null)
);
create index sharing_decision_child on sharing_decision (partnership_id, child_id, created_at desc);
create index sharing_decision_context on sharing_decision (partnership_id, context, context_id) where context_id is not null;
create unique index sharing_decision_idempotency on sharing_decision (partnership_id, author_membership_id, idempotency_key) where idempotency_key is not null;
`.execute(db)
  // the foundation's default privileges cover new tables; granted explicitly as well so the app role can use them
  // whoever ran the migration. A decision is never changed (a new decision records a change of mind).
  await sql`
do $$
begin
  if exists (select 1 from pg_roles where rolname = 'teamaround_app') then
    grant select, insert, update, delete on sharing_agreement, sharing_agreement_rule to teamaround_app;
    grant select, insert, delete on sharing_decision to teamaround_app;
    revoke update on sharing_decision from teamaround_app;
  end if;
end $$`.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
drop table if exists sharing_decision;
drop table if exists sharing_agreement_rule;
drop table if exists sharing_agreement;
`.execute(db)
}
