// Which relationship let a practitioner see a child at the moment of an audit row. Most rows name it
// (audit_event.relationship_id); rows written by the batch reads (chronology, lists) do not, so the access reports
// work it out: the relationships to the child, current at the row's time, that the actor's membership held — the
// same holders and the same reach table (REACH in src/access/policy.ts) as reachingRelationships in
// src/data/access-sql.ts, read at that moment. Standing relationships are preferred over break-glass and
// self-claimed ones when both were held.
import { sql, type RawBuilder } from 'kysely'
import { REACH, ROLES } from '../../access/policy.ts'
import type { RelationshipType } from '../../data/schema.ts'

const PERSONAL: readonly RelationshipType[] = ['allocated_worker', 'team_member', 'break_glass', 'self_claimed']

/** `role:type` pairs a holder kind reaches through (break-glass for every role, as reachingRelationships). */
function pairs(holder: 'membership' | 'team' | 'agency'): string[] {
  return ROLES.flatMap((role) => {
    const through = new Set<RelationshipType>([...REACH[role].through, 'break_glass'])
    const types = [...through].filter((t) => (holder === 'membership' ? PERSONAL.includes(t) : holder === 'team' ? t === 'front_door_contact' : t === 'pupil_at' || t === 'agency_record'))
    // roles with no identity reach are brought in by break-glass only
    return (REACH[role].identity ? types : types.filter((t) => t === 'break_glass')).map((t) => `${role}:${t}`)
  })
}
const MEMBERSHIP_PAIRS = pairs('membership')
const TEAM_PAIRS = pairs('team')
const AGENCY_PAIRS = pairs('agency')
const AS_TEAM_MEMBERS = ROLES.filter((r) => REACH[r].asTeamMembers && REACH[r].identity)
const VIA_SERVED_SCHOOLS = ROLES.filter((r) => REACH[r].viaServedSchools && REACH[r].identity)

/**
 * A lateral join (alias `g`: id, type, reason) of the relationship that granted the row's look, for a query over
 * `audit_event as a` joined to the actor's `membership as m`, about the child `childId` (an expression).
 * The recorded relationship when the row names one; otherwise the one held at the row's time.
 */
export function grantingRelationshipJoin(childId: RawBuilder<string>) {
  return sql`left join lateral (
      select r.id, r.type, r.reason, true as recorded from relationship r where r.id = a.relationship_id and r.partnership_id = a.partnership_id
      union all
      select * from (
        select r.id, r.type, r.reason, false as recorded from relationship r
        where a.relationship_id is null and m.id is not null
          and r.partnership_id = a.partnership_id and r.child_id = ${childId}
          and r.starts_at <= a.at and (r.ends_at is null or r.ends_at > a.at)
          and (
            (r.holder_membership_id = m.id and (m.role || ':' || r.type) = any(${MEMBERSHIP_PAIRS}::text[]))
            or (r.holder_team_id = m.team_id and (m.role || ':' || r.type) = any(${TEAM_PAIRS}::text[]))
            or (r.holder_agency_id = m.agency_id and (m.role || ':' || r.type) = any(${AGENCY_PAIRS}::text[]))
            or (m.role = any(${AS_TEAM_MEMBERS}::text[]) and r.type in ('allocated_worker', 'team_member')
                and r.holder_membership_id in (select tm.id from membership tm where tm.partnership_id = a.partnership_id and tm.team_id = m.team_id
                                                 and tm.starts_at <= a.at and (tm.ends_at is null or tm.ends_at > a.at)))
            or (m.role = any(${VIA_SERVED_SCHOOLS}::text[]) and r.type = 'pupil_at'
                and r.holder_agency_id in (select ms.school_agency_id from membership_school ms where ms.partnership_id = a.partnership_id and ms.membership_id = m.id))
          )
        order by (r.type in ('break_glass', 'self_claimed')), r.starts_at
        limit 1
      ) held
      limit 1
    ) g on true`
}

/** Relationship types that are not a standing reason to see a child: an access report flags looks through them. */
export const EXCEPTIONAL: readonly RelationshipType[] = ['break_glass', 'self_claimed']
