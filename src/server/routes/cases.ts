// Dataset and case routes: the dataset's labels and case list with status, one case's geometry,
// its volumes as .nii/.nii.gz bytes for the viewer, and its annotation in labelwise.json.
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import path from "node:path";
import type { FastifyInstance, FastifyReply } from "fastify";
import { decomposeAffine } from "../../volume/index.js";
import { readNiftiGeometry, type Annotation } from "../../data/index.js";
import type { ServerContext } from "../context.js";
import { annotationEnum, caseParams, caseSummarySchema, errorResponses, noQuery } from "../schemas.js";

const vec3 = { type: "array", items: { type: "number" } } as const;

/** The entries of a per-strategy table for the strategies the page offers (others are not sent). */
function offered<T>(strategies: readonly string[], table: Readonly<Record<string, T>>): Record<string, T> {
  return Object.fromEntries(strategies.flatMap((s) => (table[s] === undefined ? [] : [[s, table[s]]])));
}

/** Streams a NIfTI file, or answers 404 when it is not there. */
async function sendVolume(reply: FastifyReply, file: string | null, what: string): Promise<FastifyReply> {
  if (file === null) return reply.code(404).send({ error: "Not Found", message: `this case has no ${what}` });
  let size: number;
  try {
    const s = await stat(file);
    if (!s.isFile()) throw new Error("not a file");
    size = s.size;
  } catch {
    return reply.code(404).send({ error: "Not Found", message: `this case has no ${what}` });
  }
  const ending = file.endsWith(".gz") ? ".nii.gz" : ".nii";
  return reply
    .type("application/octet-stream")
    .header("content-length", String(size))
    .header("x-labelwise-file", `${what}${ending}`)
    .header("cache-control", "no-store")
    .send(createReadStream(file));
}

export function caseRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { service } = ctx;
  const notFound = (reply: FastifyReply, id: string) => reply.code(404).send({ error: "Not Found", message: `no case ${JSON.stringify(id)} in the dataset` });

  app.get(
    "/api/dataset",
    {
      schema: {
        querystring: noQuery,
        response: {
          200: {
            type: "object",
            properties: {
              name: { type: "string" },
              description: { type: "string" },
              folder: { type: "string" },
              channels: { type: "array", items: { type: "string" } },
              labels: {
                type: "array",
                items: { type: "object", properties: { name: { type: "string" }, value: { type: "integer" }, color: { type: "string" }, region: { type: "boolean" } } },
              },
              strategies: { type: "array", items: { type: "string" } },
              strategySummaries: { type: "object", additionalProperties: { type: "string" } },
              strategyLearnsFrom: { type: "object", additionalProperties: { type: "array", items: { type: "string" } } },
              predictionsFolder: { type: "string" },
            },
          },
          ...errorResponses,
        },
      },
    },
    async () => {
      const ds = await service.dataset();
      const json = ds.json as Record<string, unknown>;
      return {
        name: typeof json.name === "string" ? json.name : path.basename(ds.root),
        description: typeof json.description === "string" ? json.description : "",
        folder: ds.root,
        channels: [...ds.channels],
        labels: await service.labels(),
        strategies: [...ctx.strategies],
        strategySummaries: offered(ctx.strategies, ctx.strategySummaries),
        strategyLearnsFrom: offered(ctx.strategies, ctx.strategyLearnsFrom),
        predictionsFolder: service.predictionsDir,
      };
    },
  );

  app.get(
    "/api/cases",
    {
      schema: {
        querystring: noQuery,
        response: { 200: { type: "object", properties: { cases: { type: "array", items: caseSummarySchema } } }, ...errorResponses },
      },
    },
    async () => ({ cases: await service.cases() }),
  );

  app.get<{ Params: { id: string } }>(
    "/api/cases/:id",
    {
      schema: {
        params: caseParams,
        querystring: noQuery,
        response: {
          200: {
            type: "object",
            properties: {
              ...caseSummarySchema.properties,
              shape: vec3,
              spacing: vec3,
              affine: { type: "array", items: vec3 },
              warnings: { type: "array", items: { type: "string" } },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (req, reply) => {
      const found = await service.find(req.params.id);
      if (!found) return notFound(reply, req.params.id);
      const summary = (await service.cases()).find((c) => c.id === found.case.id);
      const g = await readNiftiGeometry(found.case.images[0]!);
      return {
        ...summary,
        shape: [...g.shape],
        spacing: [...decomposeAffine(g.affine).spacing],
        affine: g.affine.map((row) => [...row]),
        warnings: [...g.warnings],
      };
    },
  );

  app.get<{ Params: { id: string; channel: string } }>(
    "/api/cases/:id/image/:channel",
    {
      schema: {
        params: {
          type: "object",
          additionalProperties: false,
          required: ["id", "channel"],
          properties: { id: caseParams.properties.id, channel: { type: "string", pattern: "^[0-9]{1,3}$" } },
        },
        querystring: noQuery,
        response: errorResponses,
      },
    },
    async (req, reply) => {
      const found = await service.find(req.params.id);
      if (!found) return notFound(reply, req.params.id);
      const file = found.case.images[Number(req.params.channel)] ?? null;
      return sendVolume(reply, file, "image");
    },
  );

  app.get<{ Params: { id: string } }>(
    "/api/cases/:id/label",
    { schema: { params: caseParams, querystring: noQuery, response: errorResponses } },
    async (req, reply) => {
      const found = await service.find(req.params.id);
      if (!found) return notFound(reply, req.params.id);
      return sendVolume(reply, found.case.label, "label");
    },
  );

  app.get<{ Params: { id: string } }>(
    "/api/cases/:id/prediction",
    { schema: { params: caseParams, querystring: noQuery, response: errorResponses } },
    async (req, reply) => {
      const found = await service.find(req.params.id);
      if (!found) return notFound(reply, req.params.id);
      return sendVolume(reply, service.predictionPath(found.case), "prediction");
    },
  );

  app.put<{ Params: { id: string }; Body: { annotation: Annotation } }>(
    "/api/cases/:id/annotation",
    {
      schema: {
        params: caseParams,
        querystring: noQuery,
        body: { type: "object", additionalProperties: false, required: ["annotation"], properties: { annotation: annotationEnum } },
        response: { 200: caseSummarySchema, ...errorResponses },
      },
    },
    async (req, reply) => {
      const found = await service.find(req.params.id);
      if (!found) return notFound(reply, req.params.id);
      if (found.split !== "train") return reply.code(400).send({ error: "Bad Request", message: "only training cases (imagesTr) carry an annotation" });
      const summary = (await service.cases()).find((c) => c.id === found.case.id)!;
      if (req.body.annotation === "boxes" && !summary.hasBoxes) {
        return reply.code(400).send({ error: "Bad Request", message: "draw and save boxes for this case before marking it box-annotated" });
      }
      try {
        await service.setAnnotation(found.case, req.body.annotation);
      } catch (e) {
        if (e instanceof RangeError) return reply.code(400).send({ error: "Bad Request", message: e.message });
        throw e;
      }
      return (await service.cases()).find((c) => c.id === found.case.id);
    },
  );
}
