// The identifiers form shared by break-glass and self-claims: exact identifiers (an NHS number with a valid check digit,
// or given name, family name and date of birth), a reason, and the code from the authenticator app asked again. And the
// keyed hash that stands in for the identifiers in the review queue: repeats can be counted, the values are not kept.
import { createHmac } from 'node:crypto'
import { z } from 'zod'
import { nhsCheckDigit } from '../../data/ids.ts'
import type { CrossCheck } from '../../web/forms.ts'
import { isCalendarDate } from '../../web/dates.ts'
import { MIN_REASON, type Identifiers } from './repository.ts'

const optional = (max: number) => z.string().trim().max(max, `Must be ${max} characters or fewer`).optional().default('')

export const reasonField = z
  .string({ message: 'Give the reason you need access' })
  .trim()
  .min(1, 'Give the reason you need access')
  .min(MIN_REASON, `Give the reason you need access in at least ${MIN_REASON} characters`)
  .max(5000, 'The reason must be 5,000 characters or fewer')
export const codeField = z
  .string({ message: 'Enter the 6-digit code from your authenticator app' })
  .trim()
  .min(1, 'Enter the 6-digit code from your authenticator app')
  .max(20, 'Enter the 6-digit code from your authenticator app')

export const identifiersForm = z.object({
  nhsNumber: optional(20),
  givenName: optional(100),
  familyName: optional(100),
  dateOfBirth: optional(10),
  reason: reasonField,
  code: codeField,
})
export type IdentifiersForm = z.infer<typeof identifiersForm>

export const knownChildForm = z.object({ child: z.string().trim().max(36), reason: reasonField, code: codeField })

export function validNhsNumber(value: string): boolean {
  const digits = value.replace(/\s+/g, '')
  return /^\d{10}$/.test(digits) && nhsCheckDigit(digits.slice(0, 9)) === Number(digits[9])
}

/**
 * An NHS number, or the full name and date of birth — one or the other, each checked (format only: whether a record
 * matches is decided in the data layer, exactly).
 */
export const identifiersCross: CrossCheck = (v) => {
  const s = (k: string) => String(v[k] ?? '').trim()
  const byName = Boolean(s('givenName') || s('familyName') || s('dateOfBirth'))
  if (s('nhsNumber') && byName) return [{ path: 'nhsNumber', message: 'Enter the NHS number, or the full name and date of birth — not both' }]
  if (s('nhsNumber')) return validNhsNumber(s('nhsNumber')) ? [] : [{ path: 'nhsNumber', message: 'Enter a valid 10-digit NHS number, like 943 476 5919' }]
  if (!byName) return [{ path: 'nhsNumber', message: 'Enter the child’s NHS number, or their full name and date of birth' }]
  return [
    ...(s('givenName') ? [] : [{ path: 'givenName', message: 'Enter the child’s given name, in full' }]),
    ...(s('familyName') ? [] : [{ path: 'familyName', message: 'Enter the child’s family name, in full' }]),
    ...(!s('dateOfBirth')
      ? [{ path: 'dateOfBirth', message: 'Enter the child’s date of birth' }]
      : isCalendarDate(s('dateOfBirth'))
        ? []
        : [{ path: 'dateOfBirth', message: 'Enter the date of birth as a real date, like 2015-03-27' }]),
  ]
}

export function identifiersOf(form: IdentifiersForm): Identifiers {
  return form.nhsNumber
    ? { kind: 'nhs_number', nhsNumber: form.nhsNumber.replace(/\s+/g, '') }
    : { kind: 'name_and_dob', givenName: form.givenName, familyName: form.familyName, dateOfBirth: form.dateOfBirth }
}

/** HMAC-SHA256 of the normalised identifiers under a server key, per partnership. */
export function identifierHash(key: string, partnershipId: string, ids: Identifiers): string {
  const norm = (s: string) => s.trim().replace(/\s+/g, ' ').toLowerCase()
  const canonical =
    ids.kind === 'nhs_number'
      ? `nhs:${ids.nhsNumber.replace(/\s+/g, '')}`
      : ids.kind === 'name_and_dob'
        ? `name:${norm(ids.givenName)}|${norm(ids.familyName)}|${ids.dateOfBirth}`
        : `child:${ids.childId.toLowerCase()}`
  return createHmac('sha256', key).update(`access-identifiers|${partnershipId}|${canonical}`).digest('hex')
}
