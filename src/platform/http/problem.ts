// RFC 9457 problem details for the JSON API: one shape for every error, with the invalid fields listed so an
// integration can show them (the pages' GOV.UK error summary says the same in HTML).
import type { FastifyReply } from 'fastify'
import type { ZodError } from 'zod'

export interface InvalidParam {
  name: string
  reason: string
}

export function problem(reply: FastifyReply, status: number, title: string, detail: string, invalidParams?: InvalidParam[]) {
  return reply
    .code(status)
    .type('application/problem+json')
    .send({ type: 'about:blank', title, status, detail, ...(invalidParams?.length ? { 'invalid-params': invalidParams } : {}) })
}

/** The fields a zod schema refused, as invalid-params. */
export function invalidParams(error: ZodError): InvalidParam[] {
  return error.issues.map((i) => ({ name: i.path.map(String).join('.') || 'body', reason: i.message }))
}

export function validationProblem(reply: FastifyReply, params: InvalidParam[]) {
  return problem(reply, 400, 'Invalid request', 'Check the fields listed in invalid-params. Nothing was saved.', params)
}

export const conflictProblem = (reply: FastifyReply, detail: string) => problem(reply, 409, 'Conflict', detail)
