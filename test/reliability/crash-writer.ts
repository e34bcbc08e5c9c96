// The writer the crash test kills: opens the database named on its command line (a PGlite directory or a
// PostgreSQL URL), then eight concurrent writers raise concerns through the data layer as a teacher; each line
// "ACK <submission id> <idempotency key>" is printed only after the repository returned, i.e. after the commit.
import { randomUUID } from 'node:crypto'
import { openDatabase } from '../../src/data/db.ts'
import { dataAccess } from '../../src/data/index.ts'
import { systemClock } from '../../src/platform/clock.ts'
import type { Actor } from '../../src/data/actor.ts'
import type { Role } from '../../src/access/policy.ts'

const [target, membershipId, childId] = process.argv.slice(2)
if (!target || !membershipId || !childId) throw new Error('usage: crash-writer TARGET MEMBERSHIP CHILD')
const child: string = childId
const database = await openDatabase(target.startsWith('postgres') ? { kind: 'postgres', url: target } : { kind: 'pglite', dir: target }, { migrate: false, poolSize: 8 })
const m = await database.db.selectFrom('membership').select(['id', 'partnership_id', 'practitioner_id', 'agency_id', 'team_id', 'role']).where('id', '=', membershipId).executeTakeFirstOrThrow()
const actor: Actor = { kind: 'practitioner', partnershipId: m.partnership_id, practitionerId: m.practitioner_id, membershipId: m.id, agencyId: m.agency_id, teamId: m.team_id, role: m.role as Role, requestId: 'crash-test' }
const repo = dataAccess(database, systemClock).forActor(actor).concerns
process.stdout.write('READY\n')
let n = 0
async function writer(): Promise<void> {
  for (;;) {
    const key = randomUUID()
    const res = await repo.submit({ childIds: [child], category: 'neglect', seenOrHeard: `Crash test write ${n++}`, occurredAt: new Date(), immediateDanger: false, bodyMap: [], idempotencyKey: key })
    if (!res) throw new Error('the child is out of reach')
    process.stdout.write(`ACK ${res.submissionId} ${key}\n`)
  }
}
await Promise.all(Array.from({ length: 8 }, () => writer()))
