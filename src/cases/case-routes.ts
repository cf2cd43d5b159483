/**
 * The staff console's case API. Every route admits signed-in staff only
 * (`onRequest`, so a request without a session gets 401 before its body is
 * even validated) and requireStaff enforces CSRF on every POST. A case in a
 * queue the staff member cannot see answers 404, exactly like a missing one.
 */
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { staffOf } from "../staff/staff-access.ts";
import { CaseAlreadyClaimedError } from "./case-errors.ts";
import {
  caseDetailSchema,
  caseIdParamsSchema,
  casesResponseSchema,
  claimConflictSchema,
  closeBodySchema,
  errorBodySchema,
  eventsQuerySchema,
  eventsResponseSchema,
  listCasesQuerySchema,
  mandatoryReportBodySchema,
  noteBodySchema,
  queuesResponseSchema,
  replyBodySchema,
  transferBodySchema,
} from "./case-schemas.ts";
import type { CaseService } from "./case-service.ts";

export interface CaseRoutesOptions {
  cases: CaseService;
}

const readErrors = { 400: errorBodySchema, 401: errorBodySchema, 403: errorBodySchema, 404: errorBodySchema };
const writeErrors = { ...readErrors, 409: errorBodySchema };

export const caseRoutes: FastifyPluginAsyncZod<CaseRoutesOptions> = async (app, opts) => {
  const { cases } = opts;
  const signedIn = app.requireStaff();

  app.get(
    "/api/staff/queues",
    { onRequest: signedIn, schema: { response: { 200: queuesResponseSchema, ...readErrors } } },
    async (request) => ({ queues: cases.listQueues(staffOf(request)) }),
  );

  app.get(
    "/api/staff/cases",
    {
      onRequest: signedIn,
      schema: { querystring: listCasesQuerySchema, response: { 200: casesResponseSchema, ...readErrors } },
    },
    async (request) => ({
      cases: await cases.listCases(staffOf(request), { status: request.query.status, queue: request.query.queue }),
    }),
  );

  app.get(
    "/api/staff/cases/:id",
    {
      onRequest: signedIn,
      schema: { params: caseIdParamsSchema, response: { 200: caseDetailSchema, ...readErrors } },
    },
    async (request) => cases.getCase(staffOf(request), request.params.id),
  );

  app.post(
    "/api/staff/cases/:id/claim",
    {
      onRequest: signedIn,
      schema: {
        params: caseIdParamsSchema,
        response: { 200: caseDetailSchema, ...writeErrors, 409: claimConflictSchema },
      },
    },
    async (request, reply) => {
      try {
        return await cases.claim(staffOf(request), request.params.id);
      } catch (err) {
        // The loser of a claim race is told who holds the case.
        if (err instanceof CaseAlreadyClaimedError) {
          return reply.status(409).send({ code: err.code, message: err.message, claimedBy: err.claimedBy });
        }
        throw err;
      }
    },
  );

  app.post(
    "/api/staff/cases/:id/reply",
    {
      onRequest: signedIn,
      schema: {
        params: caseIdParamsSchema,
        body: replyBodySchema,
        response: { 200: caseDetailSchema, ...writeErrors },
      },
    },
    async (request) => cases.reply(staffOf(request), request.params.id, request.body.text),
  );

  app.post(
    "/api/staff/cases/:id/notes",
    {
      onRequest: signedIn,
      schema: { params: caseIdParamsSchema, body: noteBodySchema, response: { 200: caseDetailSchema, ...writeErrors } },
    },
    async (request) => cases.addNote(staffOf(request), request.params.id, request.body.text),
  );

  app.post(
    "/api/staff/cases/:id/transfer",
    {
      onRequest: signedIn,
      schema: {
        params: caseIdParamsSchema,
        body: transferBodySchema,
        response: { 200: caseDetailSchema, ...writeErrors },
      },
    },
    async (request) => cases.transfer(staffOf(request), request.params.id, request.body.queue, request.body.reason),
  );

  app.post(
    "/api/staff/cases/:id/mandatory-report",
    {
      onRequest: signedIn,
      schema: {
        params: caseIdParamsSchema,
        body: mandatoryReportBodySchema,
        response: { 200: caseDetailSchema, ...writeErrors },
      },
    },
    async (request) =>
      cases.recordMandatoryReport(staffOf(request), request.params.id, {
        reportedTo: request.body.reportedTo,
        reportedAt: new Date(request.body.reportedAt),
        referenceNumber: request.body.referenceNumber,
      }),
  );

  app.post(
    "/api/staff/cases/:id/close",
    {
      onRequest: signedIn,
      schema: {
        params: caseIdParamsSchema,
        body: closeBodySchema,
        response: { 200: caseDetailSchema, ...writeErrors },
      },
    },
    async (request) =>
      cases.close(staffOf(request), request.params.id, { outcome: request.body.outcome, note: request.body.note }),
  );

  app.get(
    "/api/staff/events",
    {
      onRequest: signedIn,
      schema: { querystring: eventsQuerySchema, response: { 200: eventsResponseSchema, ...readErrors } },
    },
    async (request) => cases.eventsAfter(staffOf(request), request.query.after),
  );
};
