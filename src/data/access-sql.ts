// The access policy compiled into SQL. Every query about children or entries composes these predicates, so
// lists, counts, searches, exports, timelines and the API obey one rule, and a page costs one query.
import { sql, type ExpressionBuilder, type Expression, type SqlBool, type Kysely, type Transaction } from 'kysely'
import { REACH, ROLES, type Role } from '../access/policy.ts'
import type { Actor } from './actor.ts'
import type { DB, RelationshipType } from './schema.ts'

type Q = Kysely<DB> | Transaction<DB>

const PERSONAL: readonly RelationshipType[] = ['allocated_worker', 'team_member', 'break_glass', 'self_claimed']

/**
 * The relationship types a role reaches through, by who holds them: the membership itself (break-glass for every
 * role), its team (the front door's contact) or its agency (a pupil on roll, the agency's own record). One derivation
 * for reachingRelationships (one actor) and membershipReachesChild (many memberships at once).
 */
function holderTypes(role: Role) {
  const through = REACH[role].through
  return {
    personal: [...new Set<RelationshipType>(['break_glass', ...through.filter((t) => PERSONAL.includes(t))])],
    team: through.filter((t) => t === 'front_door_contact'),
    agency: through.filter((t) => t === 'pupil_at' || t === 'agency_record'),
  }
}

/**
 * The actor's current relationships (id, child_id, type): the only way a child comes into reach.
 * Break-glass reaches for any role during its window; everything else follows the role's reach table.
 */
export function reachingRelationships(db: Q, actor: Actor, now: Date) {
  const reach = REACH[actor.role]
  const { personal: personalTypes, team: teamTypes, agency: agencyTypes } = holderTypes(actor.role)
  return db
    .selectFrom('relationship as r')
    .select(['r.id', 'r.child_id', 'r.type', 'r.holder_membership_id'])
    .where('r.partnership_id', '=', actor.partnershipId)
    .where('r.starts_at', '<=', now)
    .where((eb) => eb.or([eb('r.ends_at', 'is', null), eb('r.ends_at', '>', now)]))
    .where((eb) => {
      const holders: Expression<SqlBool>[] = [
        eb.and([eb('r.holder_membership_id', '=', actor.membershipId), eb('r.type', 'in', personalTypes)]),
      ]
      if (teamTypes.length && actor.teamId) {
        holders.push(eb.and([eb('r.holder_team_id', '=', actor.teamId), eb('r.type', 'in', teamTypes)]))
      }
      if (agencyTypes.length) {
        holders.push(eb.and([eb('r.holder_agency_id', '=', actor.agencyId), eb('r.type', 'in', agencyTypes)]))
      }
      if (reach.asTeamMembers && actor.teamId) {
        holders.push(
          eb.and([
            eb('r.type', 'in', ['allocated_worker', 'team_member']),
            eb(
              'r.holder_membership_id',
              'in',
              eb
                .selectFrom('membership as tm')
                .select('tm.id')
                .where('tm.partnership_id', '=', actor.partnershipId)
                .where('tm.team_id', '=', actor.teamId)
                .where('tm.starts_at', '<=', now)
                .where((e2) => e2.or([e2('tm.ends_at', 'is', null), e2('tm.ends_at', '>', now)])),
            ),
          ]),
        )
      }
      if (reach.viaServedSchools) {
        holders.push(
          eb.and([
            eb('r.type', '=', 'pupil_at'),
            eb(
              'r.holder_agency_id',
              'in',
              eb
                .selectFrom('membership_school as ms')
                .select('ms.school_agency_id')
                .where('ms.partnership_id', '=', actor.partnershipId)
                .where('ms.membership_id', '=', actor.membershipId),
            ),
          ]),
        )
      }
      return eb.or(holders)
    })
}

/** A predicate on `child as c`: the child is in the actor's reach. */
export function childInReach(actor: Actor, now: Date) {
  return (eb: ExpressionBuilder<DB & { c: DB['child'] }, 'c'>): Expression<SqlBool> => {
    if (!REACH[actor.role].identity) {
      // no case content by role; only break-glass could bring a child in
      return eb.exists(reachingRelationships(eb as unknown as Q, actor, now).where('r.type', '=', 'break_glass').where('r.child_id', '=', sql.ref<string>('c.id')))
    }
    return eb.exists(reachingRelationships(eb as unknown as Q, actor, now).where('r.child_id', '=', sql.ref<string>('c.id')))
  }
}

/**
 * childInReach for many practitioners in one statement: a predicate on `membership as m` — the child is in the reach
 * of whoever holds this membership, acting in it. The same holders and the same reach table as reachingRelationships
 * and childInReach (holderTypes), read from the membership's own role, team and agency instead of an actor's, so a
 * query can ask it of every candidate at once (who stands in for someone who has left) rather than once per person.
 * Whether the membership is in post is the caller's (currentMembershipsQuery), as the actor's session is for childInReach.
 * `childId`: an id, or a reference to the outer query's child (one statement over many rows).
 */
export function membershipReachesChild(partnershipId: string, childId: string | Expression<string>, now: Date) {
  // the roles, grouped by the types they reach through from one kind of holder (roles with no identity reach: break-glass only)
  const byTypes = (pick: (h: ReturnType<typeof holderTypes>) => RelationshipType[]) => {
    const groups = new Map<string, { types: RelationshipType[]; roles: Role[] }>()
    for (const role of ROLES) {
      const types = REACH[role].identity ? pick(holderTypes(role)) : pick(holderTypes(role)).filter((t) => t === 'break_glass')
      if (!types.length) continue
      const key = [...types].sort().join()
      groups.set(key, { types, roles: [...(groups.get(key)?.roles ?? []), role] })
    }
    return [...groups.values()]
  }
  const personal = byTypes((h) => h.personal)
  const team = byTypes((h) => h.team)
  const agency = byTypes((h) => h.agency)
  const asTeamMembers = ROLES.filter((r) => REACH[r].identity && REACH[r].asTeamMembers)
  const viaServedSchools = ROLES.filter((r) => REACH[r].identity && REACH[r].viaServedSchools)
  return (eb: ExpressionBuilder<DB & { m: DB['membership'] }, 'm'>): Expression<SqlBool> => {
    const m = (column: 'id' | 'role' | 'team_id' | 'agency_id') => sql.ref<string>(`m.${column}`)
    return eb.exists(
      (eb as unknown as Q)
        .selectFrom('relationship as r')
        .select('r.id')
        .where('r.partnership_id', '=', partnershipId)
        .where('r.child_id', '=', childId)
        .where('r.starts_at', '<=', now)
        .where((e) => e.or([e('r.ends_at', 'is', null), e('r.ends_at', '>', now)]))
        .where((e) => {
          const holders: Expression<SqlBool>[] = []
          for (const g of personal) holders.push(e.and([e('r.holder_membership_id', '=', m('id')), e(m('role'), 'in', g.roles), e('r.type', 'in', g.types)]))
          for (const g of team) holders.push(e.and([e('r.holder_team_id', '=', m('team_id')), e(m('role'), 'in', g.roles), e('r.type', 'in', g.types)]))
          for (const g of agency) holders.push(e.and([e('r.holder_agency_id', '=', m('agency_id')), e(m('role'), 'in', g.roles), e('r.type', 'in', g.types)]))
          if (asTeamMembers.length) {
            holders.push(
              e.and([
                e(m('role'), 'in', asTeamMembers),
                e('r.type', 'in', ['allocated_worker', 'team_member']),
                e(
                  'r.holder_membership_id',
                  'in',
                  e
                    .selectFrom('membership as tm')
                    .select('tm.id')
                    .where('tm.partnership_id', '=', partnershipId)
                    .where('tm.team_id', '=', m('team_id'))
                    .where('tm.starts_at', '<=', now)
                    .where((e2) => e2.or([e2('tm.ends_at', 'is', null), e2('tm.ends_at', '>', now)])),
                ),
              ]),
            )
          }
          if (viaServedSchools.length) {
            holders.push(
              e.and([
                e(m('role'), 'in', viaServedSchools),
                e('r.type', '=', 'pupil_at'),
                e('r.holder_agency_id', 'in', e.selectFrom('membership_school as ms').select('ms.school_agency_id').where('ms.partnership_id', '=', partnershipId).where('ms.membership_id', '=', m('id'))),
              ]),
            )
          }
          return e.or(holders)
        }),
    )
  }
}

/**
 * What the actor's current relationships to an entry's child amount to, when a query has already worked them out
 * once per child (relationshipFacts below, joined as `f` on the entry's child) instead of once per entry.
 */
export interface RelationshipFacts {
  anyRel: Expression<SqlBool>
  breakGlass: Expression<SqlBool>
  allocated: Expression<SqlBool>
}

/**
 * The actor's reaching relationships summarised per child (one row per child in `childIds` that is in reach):
 * join it as `f` on `f.child_id = e.child_id` and pass JOINED_FACTS to entryVisible. The same relationships as
 * reachingRelationships, so the rule is the same; a long chronology no longer re-checks them for every entry.
 */
export function relationshipFacts(db: Q, actor: Actor, now: Date, childIds: readonly string[] | Expression<string>) {
  // the children asked about: a list of ids, or a subquery of ids (a statement that works out its children itself)
  const among = Array.isArray(childIds) ? (childIds.length ? [...childIds] : ['00000000-0000-0000-0000-000000000000']) : (childIds as Expression<string>)
  return db
    .selectFrom(reachingRelationships(db, actor, now).where('r.child_id', 'in', among as string[]).as('rr'))
    .select(['rr.child_id', sql<boolean>`bool_or(rr.type = 'break_glass')`.as('break_glass'), sql<boolean>`bool_or(rr.type = 'allocated_worker')`.as('allocated')])
    .groupBy('rr.child_id')
}

/** A row of relationshipFacts: the facts a statement keeps (as `f`) and joins its entries to. */
export type Facts = Awaited<ReturnType<ReturnType<typeof relationshipFacts>['execute']>>[number]

/**
 * childInReach for a query that has joined relationshipFacts as `f` on the child (an inner join: the child has a
 * reaching relationship): the same rule, read from the facts — any relationship reaches for roles that see
 * identity; for the others only break-glass does.
 */
export function childInReachByFacts(actor: Actor): Expression<SqlBool> {
  return REACH[actor.role].identity ? sql<SqlBool>`true` : sql.ref<SqlBool>('f.break_glass')
}

/** The facts of relationshipFacts joined as `f` (the inner join itself means a relationship exists). */
export const JOINED_FACTS: RelationshipFacts = {
  anyRel: sql<SqlBool>`true`,
  breakGlass: sql.ref<SqlBool>('f.break_glass'),
  allocated: sql.ref<SqlBool>('f.allocated'),
}

/**
 * A predicate on `entry as e`: the actor may see this entry. Always needs a current relationship to the child;
 * then the entry's visibility decides (domain-model.md, "Visibility of an entry" and "Reach by role").
 */
export function entryVisible(actor: Actor, now: Date, facts?: RelationshipFacts) {
  const reach = REACH[actor.role]
  return (eb: ExpressionBuilder<DB & { e: DB['entry'] }, 'e'>): Expression<SqlBool> => {
    const rels = () => reachingRelationships(eb as unknown as Q, actor, now).where('r.child_id', '=', sql.ref<string>('e.child_id'))
    const anyRel = facts ? facts.anyRel : eb.exists(rels())
    const breakGlass = () => (facts ? facts.breakGlass : eb.exists(rels().where('r.type', '=', 'break_glass')))
    // a sealed entry is for its authoring team only: not even its author outside that team, nor whom it was addressed to
    const notSealed = eb('e.visibility', '<>', 'sealed')
    const byVisibility: Expression<SqlBool>[] = [
      eb.and([eb('e.author_membership_id', '=', actor.membershipId), notSealed]),
      eb.and([eb('e.addressed_to_membership_id', '=', actor.membershipId), notSealed]),
    ]
    if (actor.teamId) byVisibility.push(eb.and([eb('e.visibility', '=', 'sealed'), eb('e.author_team_id', '=', actor.teamId)]))
    // team entries: for every role that sees them; for the others, through break-glass only (a role that sees them
    // all is not asked about break-glass, so the predicate stays on the entry's own columns and the planner does
    // not evaluate it twice)
    byVisibility.push(reach.entries.team ? eb('e.visibility', '=', 'team') : eb.and([eb('e.visibility', '=', 'team'), breakGlass()]))
    if (reach.entries.ownAgency) byVisibility.push(eb.and([eb('e.visibility', '=', 'agency'), eb('e.source_agency_id', '=', actor.agencyId)]))
    if (reach.entries.frontDoor === 'always') byVisibility.push(eb('e.visibility', '=', 'front_door'))
    if (reach.entries.frontDoor === 'when-allocated') {
      byVisibility.push(eb.and([eb('e.visibility', '=', 'front_door'), facts ? facts.allocated : eb.exists(rels().where('r.type', '=', 'allocated_worker'))]))
    }
    if (reach.entries.restrictedIfNamed) byVisibility.push(restrictedToActor(actor)(eb))
    return eb.and([eb('e.partnership_id', '=', actor.partnershipId), anyRel, eb.or(byVisibility)])
  }
}

/** A predicate on `entry as e`: a `restricted` entry whose audience names the actor's agency (and role, when it names roles). */
export function restrictedToActor(actor: Actor) {
  return (eb: ExpressionBuilder<DB & { e: DB['entry'] }, 'e'>): Expression<SqlBool> =>
    eb.and([
      eb('e.visibility', '=', 'restricted'),
      sql<SqlBool>`${actor.agencyId}::uuid = any(e.restricted_agency_ids)`,
      sql<SqlBool>`(cardinality(e.restricted_roles) = 0 or ${actor.role}::text = any(e.restricted_roles))`,
    ])
}

/**
 * A predicate on `entry as e`: an entry the actor's agency holds as its data controller (its own entries) that may leave
 * in a bulk export asked for by the actor (src/modules/exports) — never `sealed` (its existence never shows), and a
 * `restricted` one only when its audience includes the actor (restrictedToActor, the rule entryVisible applies).
 * Relationships do not enter into it: information governance exports its agency's records, it does not reach children.
 */
export function agencyEntryExportable(actor: Actor) {
  return (eb: ExpressionBuilder<DB & { e: DB['entry'] }, 'e'>): Expression<SqlBool> =>
    eb.and([
      eb('e.partnership_id', '=', actor.partnershipId),
      eb('e.source_agency_id', '=', actor.agencyId),
      eb.or([eb('e.visibility', 'in', ['agency', 'team', 'front_door']), restrictedToActor(actor)(eb)]),
    ])
}
