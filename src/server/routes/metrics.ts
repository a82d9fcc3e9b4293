// Dice and HD95 (mm) of a case's prediction against its label, per organ, when both files exist.
import { stat } from "node:fs/promises";
import type { FastifyInstance } from "fastify";
import type { ServerContext } from "../context.js";
import { caseParams, errorResponses, noQuery, numberOrNull } from "../schemas.js";

const exists = (p: string) => stat(p).then((s) => s.isFile(), () => false);

export function metricRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { service, metrics } = ctx;
  app.get<{ Params: { id: string } }>(
    "/api/cases/:id/metrics",
    {
      schema: {
        params: caseParams,
        querystring: noQuery,
        response: {
          200: {
            type: "object",
            properties: {
              case: { type: "string" },
              unit: { type: "string" },
              seconds: { type: "number" },
              labels: {
                type: "array",
                items: {
                  type: "object",
                  properties: {
                    name: { type: "string" },
                    value: { type: "integer" },
                    color: { type: "string" },
                    dice: numberOrNull,
                    hd95: numberOrNull,
                    predVoxels: { type: "integer" },
                    refVoxels: { type: "integer" },
                  },
                },
              },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (req, reply) => {
      const found = await service.find(req.params.id);
      if (!found) return reply.code(404).send({ error: "Not Found", message: `no case ${JSON.stringify(req.params.id)} in the dataset` });
      const pred = service.predictionPath(found.case);
      if (found.case.label === null || !(await exists(found.case.label)) || !(await exists(pred))) {
        return reply.code(404).send({ error: "Not Found", message: "metrics need both a label and a prediction of this case" });
      }
      const labels = (await service.labels()).filter((l) => !l.region);
      let result;
      try {
        result = await metrics.score(pred, found.case.label, labels.map((l) => l.value));
      } catch (e) {
        if (e instanceof RangeError) return reply.code(400).send({ error: "Bad Request", message: `cannot compare: ${e.message}` });
        throw e;
      }
      const byValue = new Map(result.scores.map((s) => [s.value, s]));
      return {
        case: found.case.id,
        unit: "mm",
        seconds: result.seconds,
        labels: labels.map((l) => ({ name: l.name, value: l.value, color: l.color, ...byValue.get(l.value) })),
      };
    },
  );
}
