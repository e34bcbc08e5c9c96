// Turning validation issues into the GOV.UK error summary and field messages (input kept by the caller).
import { z, type ZodError } from 'zod'
import { calendarDateProblem, DATE_YEARS, dateRangeText } from './dates.ts'

export interface FormErrors {
  errors: { text: string; href: string }[]
  fieldErrors: Record<string, { text: string }>
}

export function formErrors(error: ZodError): FormErrors {
  const fieldErrors: Record<string, { text: string }> = {}
  const errors: { text: string; href: string }[] = []
  for (const issue of error.issues) {
    const field = String(issue.path[0] ?? 'form')
    if (fieldErrors[field]) continue
    const text = issue.message.startsWith('Invalid') || issue.message.startsWith('Expected') ? `Check ${field.replace(/_/g, ' ')}` : issue.message
    fieldErrors[field] = { text }
    errors.push({ text, href: `#${field}` })
  }
  return { errors, fieldErrors }
}

/**
 * The errors of a form the page no longer shows — the record moved on since the page was loaded (acknowledged,
 * signed off, answered), or the form is not this practitioner's — as one message about the record, linked to the
 * page's main content: the error summary never links to a field that is not on the page.
 */
export function formNotShown(text: string): FormErrors {
  return { errors: [{ text, href: '#main-content' }], fieldErrors: {} }
}

/**
 * The errors to show when the form may no longer be on the page: `gone` (why it is not, or null when it is) in place of
 * field errors. A refusal already about the record itself (linked to the main content, as the repositories' state
 * refusals are) is kept: it says more than `gone` does.
 */
export function unlessFormGone(errors: FormErrors, gone: string | null): FormErrors {
  return gone && errors.errors.some((e) => e.href !== '#main-content') ? formNotShown(gone) : errors
}

/** One error on one field: the summary's link to it and the message beside it. */
export function fieldError(text: string, field: string): FormErrors {
  return { errors: [{ text, href: `#${field}` }], fieldErrors: { [field]: { text } } }
}

/**
 * A single-value field as the form sent it: '' when absent, and null when it came more than once (`a=1&a=2`). A page's
 * form sends such a field once; read with `String()`, a repeated one would be saved as "1,2".
 */
export function oneValue(v: unknown): string | null {
  if (v === undefined || v === null) return ''
  return Array.isArray(v) ? null : String(v)
}

/** The error for a field that came more than once (oneValue gave null). */
export const sentTwice = (label: string): string => `${label} was sent more than once: enter it once`

/**
 * The fields of a form body that came more than once (`a=1&a=2`), other than `lists` (the form's checkbox groups and
 * other fields it sends as a list). For a handler that reads its fields without a schema: each is refused with
 * sentTwice, never read as its first value or dropped as empty.
 */
export function repeatedFields(values: Record<string, unknown>, lists: readonly string[] = []): string[] {
  return Object.keys(values).filter((k) => Array.isArray(values[k]) && !lists.includes(k))
}

export type CrossCheck = (values: Record<string, unknown>) => { path: string; message: string }[]

/**
 * Validates a form: the schema for each field, and cross-field checks on the raw values, always together, so the
 * error summary lists every problem at once (zod skips refinements when a field already failed).
 */
export function parseForm<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: ZodError } }, values: Record<string, unknown>, cross?: CrossCheck): { ok: true; data: T } | { ok: false; errors: FormErrors } {
  const parsed = schema.safeParse(values)
  const extra = cross ? cross(values) : []
  if (parsed.success && !extra.length) return { ok: true, data: parsed.data }
  const base = parsed.success ? { errors: [], fieldErrors: {} } : formErrors(parsed.error)
  for (const e of extra) {
    if (base.fieldErrors[e.path]) continue
    base.fieldErrors[e.path] = { text: e.message }
    base.errors.push({ text: e.message, href: `#${e.path}` })
  }
  return { ok: false, errors: base }
}

export interface DateFieldOptions {
  /** The field's own message for a value not written as YYYY-MM-DD (default: '<label> must be a real date, as YYYY-MM-DD'). */
  format?: string
  /** The field's own message for a day that does not exist (default: '<label> must be a real date'). */
  real?: string
  /** The years allowed (default 1900 to 2100). */
  years?: { min: number; max: number }
}

/**
 * The GOV.UK error message for a date typed as YYYY-MM-DD, or null when it is a real date in the years allowed.
 * label names the field as a sentence starts it: 'Date of birth' gives 'Date of birth must be a real date'.
 * The one date check of the forms, the query strings and the API: 2026-02-30, 2026-13-01 and 0000-01-01 are refused
 * here, never rolled over into another day or sent to the database.
 */
export function dateError(value: string, label: string, opts: DateFieldOptions = {}): string | null {
  const years = opts.years ?? DATE_YEARS
  switch (calendarDateProblem(value, years)) {
    case null:
      return null
    case 'format':
      return opts.format ?? `${label} must be a real date, as YYYY-MM-DD`
    case 'real':
      return opts.real ?? `${label} must be a real date`
    case 'range':
      return `${label} must be ${dateRangeText(years)}`
  }
}

/** A zod string (trimmed) that must be a real date as YYYY-MM-DD, with dateError's messages. */
export function dateField(label: string, opts: DateFieldOptions = {}) {
  return z
    .string({ message: opts.format ?? `Enter ${label.charAt(0).toLowerCase()}${label.slice(1)}` })
    .trim()
    .superRefine((v, c) => {
      const message = dateError(v, label, opts)
      if (message) c.addIssue({ code: 'custom', message })
    })
}

/**
 * A whole number from a query string for paging (page, offset): the default when absent or empty, null when it is
 * not a whole number from min to max (the caller answers 400). 1e400, 99999999999 and 1.5 are refused, not rounded.
 */
/** The largest row version there can be: the version columns are PostgreSQL integers. */
export const MAX_ROW_VERSION = 2_147_483_647

/**
 * A record's version as a form sends it back (the optimistic lock): a whole number from `min` to the largest a
 * version column holds, or the form is out of date (`message`) — never a number PostgreSQL refuses (a 500).
 */
export function versionField(message = 'Reload the page and try again', min = 1) {
  return z.coerce.number({ message }).int(message).min(min, message).max(MAX_ROW_VERSION, message)
}

export function queryInt(raw: unknown, { min, max, fallback }: { min: number; max: number; fallback?: number }): number | null {
  if (raw === undefined || raw === null || raw === '') return fallback ?? null
  if (typeof raw !== 'string' || !/^\d{1,16}$/.test(raw.trim())) return null
  const n = Number(raw.trim())
  return Number.isSafeInteger(n) && n >= min && n <= max ? n : null
}

/**
 * The fields of "a child not yet known" (the concern form; the front door's referral form): first and last name, and
 * a date of birth, the best estimate of whoever names the child.
 */
export const newChildFields = {
  newChildGivenName: z.string().trim().max(100, 'Must be 100 characters or fewer').optional().default(''),
  newChildFamilyName: z.string().trim().max(100, 'Must be 100 characters or fewer').optional().default(''),
  newChildDob: z.string().trim().max(10, 'Must be 10 characters or fewer').optional().default(''),
}

const field = (x: unknown) => String(x ?? '').trim()

/** Whether the form names a child not yet known (any of its fields filled in), on the raw values. */
export function newChildSent(v: Record<string, unknown>): boolean {
  return Boolean(field(v.newChildGivenName) || field(v.newChildFamilyName) || field(v.newChildDob))
}

/**
 * The cross-field check of a child not yet known, on the raw values: when any of its fields is filled in, every one
 * must be, the date of birth a real date and not after `today` (London's date). None when no new child is named.
 */
export function newChildErrors(v: Record<string, unknown>, today: string): { path: string; message: string }[] {
  if (!newChildSent(v)) return []
  const out: { path: string; message: string }[] = []
  if (!field(v.newChildGivenName)) out.push({ path: 'newChildGivenName', message: 'Enter the first name of the child not yet known' })
  if (!field(v.newChildFamilyName)) out.push({ path: 'newChildFamilyName', message: 'Enter the last name of the child not yet known' })
  const dobError = dateError(field(v.newChildDob), 'Date of birth', { format: 'Enter the date of birth as YYYY-MM-DD (your best estimate)' })
  if (dobError) out.push({ path: 'newChildDob', message: dobError })
  // a child not yet born is not named here (a best estimate is still a date in the past): 2061 for 2016 is a typing slip
  else if (field(v.newChildDob) > today) out.push({ path: 'newChildDob', message: 'Date of birth must be today or in the past' })
  return out
}

/** The child not yet known of a form that passed newChildErrors, or null when it names none. */
export function newChildFrom(v: { newChildGivenName: string; newChildFamilyName: string; newChildDob: string }): { givenName: string; familyName: string; dateOfBirth: string } | null {
  return v.newChildGivenName ? { givenName: v.newChildGivenName, familyName: v.newChildFamilyName, dateOfBirth: v.newChildDob } : null
}
