// The JSON API for the team around the child, its meetings and its joint plan: read-only, for integrating systems
// (a council's case management system). The same repositories as the pages (tac, meetings, plans): the same access
// rules in SQL and one audit row per read, in the read's transaction. A child or a meeting out of the caller's reach,
// a bad id and an id that does not exist are the same 404 problem+json.
//
//   GET /api/v1/children/:childId/team      the open team around the child: its members, their roles and duties
//   GET /api/v1/children/:childId/meetings  the meetings of every team around the child the caller may see
//   GET /api/v1/meetings/:meetingId         one meeting: decisions, the actions agreed at it, the minutes (as its page)
//   GET /api/v1/children/:childId/plan      the open team's joint plan and its version
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { AppDeps } from '../../platform/http/app.ts'
import { routes } from '../../platform/http/route.ts'
import { didNotTakePlace } from '../meetings/repository.ts'

type MeetingStatus = 'scheduled' | 'held' | 'cancelled' | 'did_not_take_place'

/** A meeting's status as its page gives it: a cancellation recorded once its start had passed is "did not take place". */
const meetingStatus = (m: { status: 'scheduled' | 'held' | 'cancelled'; scheduled_at: Date; cancelled_at: Date | null }): MeetingStatus => (didNotTakePlace(m) ? 'did_not_take_place' : m.status)

/** What the API gives of a meeting in a list and on its own. */
function meetingSummary(m: {
  id: string
  tac_id: string
  kind: string
  title: string
  scheduled_at: Date
  mode: string
  place: string
  status: 'scheduled' | 'held' | 'cancelled'
  held_at: Date | null
  cancelled_at: Date | null
  minutes_status: string
  chair_given: string
  chair_family: string
}) {
  return {
    id: m.id,
    teamId: m.tac_id,
    kind: m.kind,
    title: m.title,
    scheduledAt: m.scheduled_at,
    mode: m.mode,
    place: m.place || null,
    chair: { name: `${m.chair_given} ${m.chair_family}` },
    status: meetingStatus(m),
    heldAt: m.held_at,
    cancelledAt: m.cancelled_at,
    minutesStatus: m.minutes_status,
    links: { self: `/api/v1/meetings/${m.id}`, page: `/teams/${m.tac_id}/meetings/${m.id}` },
  }
}

export async function tacApiRoutes(app: FastifyInstance, { data }: AppDeps): Promise<void> {
  const r = routes(app)
  const repos = (req: FastifyRequest) => data.forActor(req.actor!)
  const param = (req: FastifyRequest, name: string) => (req.params as Record<string, string>)[name]!

  r.get('/api/v1/children/:childId/team', { permission: 'tac:work', audit: 'tac.team', record: true }, async (request, reply) => {
    const found = await repos(request).tac.teamOfChild(param(request, 'childId'))
    if (!found) return reply.callNotFound()
    const t = found.team
    const lead = t?.members.find((m) => m.membership_id === t.tac.leadMembershipId)
    return {
      data: {
        childId: found.child.id,
        team: t
          ? {
              id: t.tac.id,
              level: t.tac.level,
              levelLabel: t.levelLabel,
              status: t.tac.status,
              startedAt: t.tac.startedAt,
              nextReviewOn: t.tac.nextReviewOn,
              lead: lead ? { name: lead.name, agency: lead.agency } : null,
              members: t.members.map((m) => ({
                id: m.id,
                name: m.name,
                agency: m.agency,
                role: m.roleLabel,
                teamRole: m.team_role,
                duties: m.duties,
                lead: m.membership_id === t.tac.leadMembershipId,
                status: m.status,
                since: m.joined_at ?? m.invited_at,
              })),
              links: { page: `/teams/${t.tac.id}`, meetings: `/api/v1/children/${found.child.id}/meetings`, plan: `/api/v1/children/${found.child.id}/plan` },
            }
          : null,
      },
    }
  })

  r.get('/api/v1/children/:childId/meetings', { permission: 'tac:work', audit: 'meeting.child-list', record: true }, async (request, reply) => {
    const found = await repos(request).meetings.forChild(param(request, 'childId'))
    if (!found) return reply.callNotFound()
    return { data: found.meetings.map(meetingSummary) }
  })

  r.get('/api/v1/meetings/:meetingId', { permission: 'tac:work', audit: 'meeting.view', record: true }, async (request, reply) => {
    const found = await repos(request).meetings.byId(param(request, 'meetingId'))
    if (!found) return reply.callNotFound()
    const m = found.meeting
    return {
      data: {
        ...meetingSummary(m),
        children: found.children.map((c) => ({ id: c.id, name: `${c.given_name} ${c.family_name}` })),
        decisions: found.decisions.map((d) => ({ id: d.id, decision: d.body, recordedBy: `${d.given_name} ${d.family_name}`, recordedAt: d.recorded_at })),
        actions: found.actions.map((a) => ({ id: a.id, outcome: a.outcome, what: a.what, who: { name: a.owner_name, agency: a.owner_agency || null }, dueOn: a.due_on, place: a.place || null, costPence: a.cost_pence, status: a.status })),
        // as the page: the minutes once drafted (every viewer of the meeting sees the draft, marked as such), else none
        minutes:
          m.minutes_status === 'none'
            ? null
            : {
                status: m.minutes_status,
                text: m.minutes,
                approvedBy: m.minutes_status === 'approved' && m.approver_given ? `${m.approver_given} ${m.approver_family}` : null,
                approvedAt: m.minutes_status === 'approved' ? m.minutes_approved_at : null,
              },
      },
    }
  })

  r.get('/api/v1/children/:childId/plan', { permission: 'tac:work', audit: 'plan.child', record: true }, async (request, reply) => {
    const found = await repos(request).plans.planOfChild(param(request, 'childId'))
    if (!found) return reply.callNotFound()
    const p = found.plan
    return {
      data: {
        childId: found.child.id,
        plan: p
          ? {
              teamId: p.tac.id,
              version: p.tac.planVersion,
              nextReviewOn: p.tac.nextReviewOn,
              outcomes: p.outcomes.map((o) => ({
                id: o.id,
                number: o.number,
                childId: o.childId,
                for: o.forName,
                outcome: o.body,
                howWeWillKnow: o.measureText,
                actions: o.actions.map((a) => ({ id: a.id, what: a.what, who: { name: a.ownerName, agency: a.ownerAgency || null }, dueOn: a.dueOn, place: a.place || null, costPence: a.costPence, status: a.status, overdue: a.overdue, meetingId: a.meetingId })),
              })),
              links: { page: `/teams/${p.tac.id}/plan`, versions: `/teams/${p.tac.id}/plan/versions` },
            }
          : null,
      },
    }
  })
}
