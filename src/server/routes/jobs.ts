// Job routes: start a training, a prediction or a "what to label next" ranking, list, inspect,
// cancel, read a ranking, and follow a job live through
// server-sent events. A new event stream first gets the job's state and history (loss curve, recent
// output), so a reloaded page picks up where it was; it ends with an "end" event when the job does.
import type { FastifyInstance } from "fastify";
import { JOB_ID_PATTERN, JobRequestError, type JobEvent, type JobSpec } from "../jobs/job-types.js";
import type { ServerContext } from "../context.js";
import { CASE_ID_PATTERN } from "../dataset-service.js";
import { errorResponses, jobParams, jobRecordSchema, noQuery, suggestionsSchema } from "../schemas.js";
import { SUGGESTIONS_FILE } from "../jobs/commands.js";
import { readSuggestions } from "../jobs/suggestions.js";
import { trainConfigFor } from "../jobs/train-config.js";

export function jobRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { jobs } = ctx;
  const trainBody = {
    type: "object",
    additionalProperties: false,
    required: ["kind", "strategy"],
    properties: {
      kind: { const: "train" },
      strategy: { type: "string", enum: [...ctx.strategies] },
      epochs: { type: "integer", minimum: 1, maximum: 100000 },
      resume: { type: "string", pattern: JOB_ID_PATTERN },
      labelled: {
        oneOf: [
          { type: "object", additionalProperties: false, required: ["count"], properties: { count: { type: "integer", minimum: 0, maximum: 1000000 } } },
          { type: "object", additionalProperties: false, required: ["fraction"], properties: { fraction: { type: "number", minimum: 0, maximum: 1 } } },
        ],
      },
      iterationsPerEpoch: { type: "integer", minimum: 1, maximum: 1000000 },
      seed: { type: "integer", minimum: 0, maximum: 4294967295 },
      // Checked key by key with the experiment config schema (trainConfigFor), which names every issue.
      config: { type: "object" },
    },
  };
  const suggestBody = {
    type: "object",
    additionalProperties: false,
    required: ["kind", "model"],
    properties: {
      kind: { const: "suggest" },
      model: { type: "string", pattern: JOB_ID_PATTERN },
    },
  };
  const predictBody = {
    type: "object",
    additionalProperties: false,
    required: ["kind", "model", "scope"],
    properties: {
      kind: { const: "predict" },
      model: { type: "string", pattern: JOB_ID_PATTERN },
      scope: { type: "string", enum: ["train", "test", "case"] },
      caseId: { type: "string", pattern: CASE_ID_PATTERN },
    },
  };

  app.get(
    "/api/jobs",
    { schema: { querystring: noQuery, response: { 200: { type: "object", properties: { jobs: { type: "array", items: jobRecordSchema } } }, ...errorResponses } } },
    async () => ({ jobs: jobs.list() }),
  );

  app.post<{ Body: JobSpec }>(
    "/api/jobs",
    {
      schema: {
        querystring: noQuery,
        body: { oneOf: [trainBody, predictBody, suggestBody] },
        response: { 200: jobRecordSchema, ...errorResponses },
      },
    },
    async (req, reply) => {
      try {
        // A bad config is refused here, before a process starts, whatever runs the jobs.
        if (req.body.kind === "train") await trainConfigFor(req.body);
        return await jobs.start(req.body);
      } catch (e) {
        if (e instanceof JobRequestError) {
          return reply.code(e.statusCode).send({ error: e.statusCode === 409 ? "Conflict" : "Bad Request", message: e.message, ...(e.problems.length ? { problems: [...e.problems] } : {}) });
        }
        throw e;
      }
    },
  );

  app.get<{ Params: { id: string } }>(
    "/api/jobs/:id/suggestions",
    { schema: { params: jobParams, querystring: noQuery, response: { 200: suggestionsSchema, ...errorResponses } } },
    async (req, reply) => {
      const job = jobs.get(req.params.id);
      if (!job || job.kind !== "suggest") return reply.code(404).send({ error: "Not Found", message: `no suggest job ${req.params.id}` });
      if (job.status !== "succeeded") return reply.code(409).send({ error: "Conflict", message: `suggest job ${job.id} is ${job.status}: its ranking is ready when it has succeeded` });
      const dir = jobs.jobDir(job.id);
      const ranking = dir === undefined ? null : await readSuggestions(dir);
      if (ranking === null) return reply.code(404).send({ error: "Not Found", message: `suggest job ${job.id} left no ranking (${SUGGESTIONS_FILE})` });
      return { job: job.id, model: job.spec.kind === "suggest" ? job.spec.model : "", ...ranking };
    },
  );

  app.get<{ Params: { id: string } }>(
    "/api/jobs/:id",
    {
      schema: {
        params: jobParams,
        querystring: noQuery,
        response: {
          200: {
            type: "object",
            properties: {
              job: jobRecordSchema,
              history: {
                type: "object",
                properties: {
                  loss: { type: "array", items: { type: "array", items: { type: "number" } } },
                  logs: { type: "array", items: { type: "object", properties: { stream: { type: "string" }, text: { type: "string" } } } },
                },
              },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (req, reply) => {
      const job = jobs.get(req.params.id);
      if (!job) return reply.code(404).send({ error: "Not Found", message: `no job ${req.params.id}` });
      return { job, history: jobs.history(req.params.id) };
    },
  );

  app.post<{ Params: { id: string }; Body: { force?: boolean } }>(
    "/api/jobs/:id/cancel",
    {
      schema: {
        params: jobParams,
        querystring: noQuery,
        body: { type: "object", additionalProperties: false, properties: { force: { type: "boolean" } } },
        response: { 200: jobRecordSchema, ...errorResponses },
      },
    },
    async (req, reply) => {
      try {
        return await jobs.cancel(req.params.id, req.body.force === true);
      } catch (e) {
        if (e instanceof JobRequestError) return reply.code(e.statusCode).send({ error: "Not Found", message: e.message });
        throw e;
      }
    },
  );

  app.get<{ Params: { id: string } }>(
    "/api/jobs/:id/events",
    { schema: { params: jobParams, querystring: noQuery, response: errorResponses } },
    (req, reply) => {
      const id = req.params.id;
      const job = jobs.get(id);
      if (!job) {
        void reply.code(404).send({ error: "Not Found", message: `no job ${id}` });
        return;
      }
      reply.hijack();
      const res = reply.raw;
      const headers = { ...reply.getHeaders() } as Record<string, string>;
      res.writeHead(200, {
        ...headers,
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-store",
        connection: "keep-alive",
        "x-accel-buffering": "no",
      });
      let seq = 0;
      let done = false;
      const send = (event: string, data: unknown) => {
        if (!done) res.write(`id: ${++seq}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      };
      let unsubscribe: (() => void) | undefined;
      const heartbeat = setInterval(() => {
        if (!done) res.write(": keep-alive\n\n");
      }, ctx.heartbeatMs);
      const finish = () => {
        if (done) return;
        send("end", { id });
        done = true;
        clearInterval(heartbeat);
        unsubscribe?.();
        res.end();
      };
      req.raw.on("close", () => {
        done = true;
        clearInterval(heartbeat);
        unsubscribe?.();
      });
      res.write("retry: 3000\n\n");
      send("state", job);
      send("history", jobs.history(id));
      if (job.status !== "running") {
        finish();
        return;
      }
      unsubscribe = jobs.subscribe(id, (e: JobEvent) => {
        send(e.type, e.type === "state" ? e.job : e);
        if (e.type === "state" && e.job.status !== "running") finish();
      });
    },
  );
}
