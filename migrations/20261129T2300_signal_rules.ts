import { sql, type Kysely } from 'kysely'

// Risk signal rules (issue 4): the first defaults waited for entry types nothing writes — `attendance` where the
// schools' import writes `attendance_drop`, `incident` where the police import writes `police_incident`. Rules are
// versioned and never updated, so each partnership whose latest version of a rule is still that first default gets
// a new version that matches the types the product writes (src/modules/signals/rules.ts). A rule the partnership has
// changed is left as it is. The definitions are written out here, as they were and are: a migration never changes.
const FIXES: { code: string; from: unknown; to: unknown }[] = [
  {
    code: 'multi_agency_concerns',
    from: { kind: 'count', match: { types: ['concern', 'incident', 'notice', 'contact', 'referral'] }, minCount: 3, minAgencies: 2, windowDays: 30 },
    to: { kind: 'count', match: { types: ['concern', 'contact', 'referral', 'notice', 'police_incident', 'incident'] }, minCount: 3, minAgencies: 2, windowDays: 30 },
  },
  {
    code: 'missing_and_attendance',
    from: { kind: 'combination', first: { types: ['missing_episode'] }, second: { types: ['attendance'] }, windowDays: 30 },
    to: { kind: 'combination', first: { types: ['missing_episode'] }, second: { types: ['attendance_drop'] }, windowDays: 30 },
  },
  {
    code: 'domestic_abuse_and_health',
    from: { kind: 'combination', first: { types: ['notice', 'incident'], categories: ['domestic_abuse'] }, second: { types: ['health_attendance'] }, windowDays: 14 },
    to: { kind: 'combination', first: { types: ['notice', 'police_incident', 'incident'], categories: ['domestic_abuse'] }, second: { types: ['health_attendance'] }, windowDays: 14 },
  },
]

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const f of FIXES) {
    // created now: the next evaluation looks again at entries already inside the rule's window
    await sql`
      insert into signal_rule (partnership_id, code, version, name, definition, active, created_at)
      select r.partnership_id, r.code, r.version + 1, r.name, ${JSON.stringify(f.to)}::jsonb, r.active, now()
      from signal_rule r
      where r.code = ${f.code}
        and r.definition = ${JSON.stringify(f.from)}::jsonb
        and r.version = (select max(r2.version) from signal_rule r2 where r2.partnership_id = r.partnership_id and r2.code = r.code)`.execute(db)
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  // the versions this migration added, while still the latest and no signal has fired under them
  for (const f of FIXES) {
    await sql`
      delete from signal_rule r
      where r.code = ${f.code}
        and r.definition = ${JSON.stringify(f.to)}::jsonb
        and r.version = (select max(r2.version) from signal_rule r2 where r2.partnership_id = r.partnership_id and r2.code = r.code)
        and exists (select 1 from signal_rule p where p.partnership_id = r.partnership_id and p.code = r.code and p.version = r.version - 1 and p.definition = ${JSON.stringify(f.from)}::jsonb)
        and not exists (select 1 from risk_signal s where s.partnership_id = r.partnership_id and s.rule_code = r.code and s.rule_version = r.version)`.execute(db)
  }
}
