// A download that was read, and audited as exported, but never reached the practitioner (Chromium failed to print
// it): a follow-up audit row says so. The export's own row commits with its read, before the document is made, so
// without this the trail would say a document left that nobody received.
import type { Actor } from '../actor.ts'
import { writeAudit } from '../audit.ts'
import type { Ctx } from '../unit-of-work.ts'

export interface Undelivered {
  /** The export's audit action (`chronology.export`): the row sits beside the export's own, with the same request id. */
  action: string
  entityType: string
  entityId: string
  childIds?: readonly string[]
  /** Why it was not delivered, in a few words (never case content). */
  reason: string
}

export function deliveriesRepository(ctx: Ctx, actor: Actor) {
  return {
    /** Records that the export this request read was not delivered: an audit row, outcome 'failure'. Never throws. */
    async undelivered(u: Undelivered): Promise<void> {
      await writeAudit(ctx.db, actor, ctx.clock.now(), {
        action: u.action,
        outcome: 'failure',
        entityType: u.entityType,
        entityId: u.entityId,
        childIds: u.childIds ? [...new Set(u.childIds)] : [],
        details: { undelivered: true, reason: u.reason },
      }).catch(() => undefined)
    },
  }
}
