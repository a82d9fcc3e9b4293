// Box annotations of a case (boxes/<case>.json): read with both coordinate forms, and replaced from
// voxel boxes the page drew. The server takes only organ names and voxel ranges from the client:
// label values come from dataset.json, world coordinates from the image header, and the whole file
// is validated (inside the volume, min < max, known organ, one box per organ) before it is written
// atomically. Saving boxes on an unlabelled case marks it box-annotated in labelwise.json.
import type { FastifyInstance } from "fastify";
import {
  BOXES_VERSION,
  ConfigError,
  formatProblem,
  readBoxFile,
  readNiftiGeometry,
  validateBoxes,
  writeBoxFile,
  type BoxFile,
  type ResolvedBox,
} from "../../data/index.js";
import type { Vec3 } from "../../volume/index.js";
import type { ServerContext } from "../context.js";
import type { FoundCase } from "../dataset-service.js";
import { boxesResponseSchema, boxInputSchema, caseParams, errorResponses, noQuery } from "../schemas.js";

interface BoxInput {
  readonly label: string;
  readonly voxel: { readonly min: Vec3; readonly max: Vec3 };
}

const plain = (b: ResolvedBox) => ({
  label: b.label,
  value: b.value,
  voxel: { min: [...b.voxel.min], max: [...b.voxel.max] },
  world: { min: [...b.world.min], max: [...b.world.max] },
});

export function boxRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { service } = ctx;

  async function current(found: FoundCase) {
    const ds = await service.dataset();
    const g = await readNiftiGeometry(found.case.images[0]!);
    const base = { case: found.case.id, shape: [...g.shape], annotation: found.case.annotation };
    let file: BoxFile | undefined;
    try {
      file = await readBoxFile(ds.root, found.case.id);
    } catch (e) {
      if (e instanceof ConfigError) return { ...base, exists: true, boxes: [], problems: [e.message] };
      throw e;
    }
    if (file === undefined) return { ...base, exists: false, boxes: [], problems: [] };
    const r = validateBoxes(found.case.id, file, ds.json, { shape: g.shape, affine: g.affine });
    return { ...base, exists: true, boxes: r.boxes.map(plain), problems: r.problems.map(formatProblem) };
  }

  app.get<{ Params: { id: string } }>(
    "/api/cases/:id/boxes",
    { schema: { params: caseParams, querystring: noQuery, response: { 200: boxesResponseSchema, ...errorResponses } } },
    async (req, reply) => {
      const found = await service.find(req.params.id);
      if (!found) return reply.code(404).send({ error: "Not Found", message: `no case ${JSON.stringify(req.params.id)} in the dataset` });
      return current(found);
    },
  );

  app.put<{ Params: { id: string }; Body: { boxes: BoxInput[] } }>(
    "/api/cases/:id/boxes",
    {
      schema: {
        params: caseParams,
        querystring: noQuery,
        body: {
          type: "object",
          additionalProperties: false,
          required: ["boxes"],
          properties: { boxes: { type: "array", maxItems: 256, items: boxInputSchema } },
        },
        response: { 200: boxesResponseSchema, ...errorResponses },
      },
    },
    async (req, reply) => {
      const found = await service.find(req.params.id);
      if (!found) return reply.code(404).send({ error: "Not Found", message: `no case ${JSON.stringify(req.params.id)} in the dataset` });
      if (found.split !== "train") return reply.code(400).send({ error: "Bad Request", message: "boxes belong to training cases (imagesTr) only" });
      const ds = await service.dataset();
      const values = new Map((await service.labels()).filter((l) => !l.region).map((l) => [l.name, l.value]));
      const unknown = req.body.boxes.filter((b) => !values.has(b.label)).map((b, i) => `boxes[${i}].label: "${b.label}" is not an organ of dataset.json (organs: ${[...values.keys()].join(", ")})`);
      if (unknown.length) return reply.code(400).send({ error: "Bad Request", message: "unknown organ", problems: unknown });
      const file: BoxFile = {
        format: "labelwise-boxes",
        version: BOXES_VERSION,
        case: found.case.id,
        boxes: req.body.boxes.map((b) => ({ label: b.label, value: values.get(b.label)!, voxel: { min: b.voxel.min, max: b.voxel.max } })),
      };
      const g = await readNiftiGeometry(found.case.images[0]!);
      const r = validateBoxes(found.case.id, file, ds.json, { shape: g.shape, affine: g.affine });
      if (r.problems.length) {
        return reply.code(400).send({ error: "Bad Request", message: "invalid boxes", problems: r.problems.map(formatProblem) });
      }
      await writeBoxFile(ds.root, { ...file, boxes: r.boxes.map((b) => ({ label: b.label, value: b.value, voxel: b.voxel, world: b.world })) });
      service.invalidate();
      if (found.case.annotation === "unlabelled") await service.setAnnotation(found.case, "boxes");
      const now = await service.find(found.case.id);
      return current(now ?? found);
    },
  );
}
