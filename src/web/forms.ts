// Turning validation issues into the GOV.UK error summary and field messages (input kept by the caller).
import type { ZodError } from 'zod'

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
