// The partnership directory: agencies and teams, what each does and how to reach them. Not case data.
import type { Ctx } from '../unit-of-work.ts'

export function directoryRepository(ctx: Ctx) {
  return {
    /** The front door's phone numbers (in hours and out of hours), for "what to do now". */
    async frontDoor(partnershipId: string) {
      const teams = await ctx.db
        .selectFrom('team')
        .select(['name', 'phone', 'is_front_door', 'is_out_of_hours'])
        .where('partnership_id', '=', partnershipId)
        .where((eb) => eb.or([eb('is_front_door', '=', true), eb('is_out_of_hours', '=', true)]))
        .execute()
      const inHours = teams.find((t) => t.is_front_door)
      const outOfHours = teams.find((t) => t.is_out_of_hours)
      return { name: inHours?.name ?? 'The front door', phone: inHours?.phone ?? null, outOfHoursName: outOfHours?.name ?? null, outOfHoursPhone: outOfHours?.phone ?? null }
    },
  }
}
