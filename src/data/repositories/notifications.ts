// My in-app notifications. The child's name is shown only while the child is in my reach.
import { sql } from 'kysely'
import { childInReach } from '../access-sql.ts'
import type { Actor } from '../actor.ts'
import { NOTIFICATION_TEXT } from '../notify.ts'
import { auditedTransaction, type Ctx } from '../unit-of-work.ts'
import { isUuid } from './children.ts'

export function notificationsRepository(ctx: Ctx, actor: Actor) {
  return {
    async unreadCount(): Promise<number> {
      const r = await ctx.db
        .selectFrom('notification')
        .select(sql<number>`count(*)::int`.as('n'))
        .where('partnership_id', '=', actor.partnershipId)
        .where('membership_id', '=', actor.membershipId)
        .where('read_at', 'is', null)
        .executeTakeFirstOrThrow()
      return r.n
    },

    async list() {
      return auditedTransaction(ctx, actor, 'notification.list', async (trx, now) => {
        const rows = await trx
          .selectFrom('notification as n')
          .leftJoin('child as c', (j) => j.onRef('c.id', '=', 'n.child_id').on(childInReach(actor, now) as never))
          .select(['n.id', 'n.kind', 'n.link', 'n.created_at', 'n.read_at', 'n.child_id', 'c.given_name', 'c.family_name'])
          .where('n.partnership_id', '=', actor.partnershipId)
          .where('n.membership_id', '=', actor.membershipId)
          .orderBy('n.created_at', 'desc')
          .limit(200)
          .execute()
        const result = rows.map((r) => ({ ...r, text: NOTIFICATION_TEXT[r.kind] ?? r.kind, childName: r.given_name ? `${r.given_name} ${r.family_name}` : null }))
        return { result, audit: { action: 'notification.list', outcome: 'success', childIds: [...new Set(rows.flatMap((r) => (r.given_name && r.child_id ? [r.child_id] : [])))] } }
      })
    },

    /** Marks one of my notifications read and gives its link (null when it is not mine). */
    async open(id: string): Promise<string | null> {
      if (!isUuid(id)) return null
      const r = await ctx.db
        .updateTable('notification')
        .set({ read_at: ctx.clock.now() })
        .where('id', '=', id)
        .where('partnership_id', '=', actor.partnershipId)
        .where('membership_id', '=', actor.membershipId)
        .returning('link')
        .executeTakeFirst()
      return r?.link ?? null
    },
  }
}
