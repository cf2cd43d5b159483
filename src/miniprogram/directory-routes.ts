/**
 * The service directory for the mini-program (and any client):
 * GET /api/directory?area=&category=, GET /api/directory/areas, GET /api/hotlines.
 * Read-only, from the knowledge the app was built with (through its getter, so
 * a rebuilt knowledge is seen at once). Rate limited per address like search.
 */
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { errorBodySchema } from "../chat/chat-schemas.ts";
import type { ResidentLimiter } from "../chat/resident-limiter.ts";
import { loadAreas, loadDirectory } from "../knowledge/directory-loader.ts";
import { SERVICE_CATEGORIES } from "../knowledge/directory-schema.ts";
import type { AreaDef, ServiceCategory, ServiceEntry } from "../knowledge/knowledge-types.ts";
import { filterDirectory, nationalHotlines, resolveArea, unknownAreaMessage } from "./directory-fns.ts";
import { miniprogramErrors } from "./miniprogram-errors.ts";

export type DirectorySource = () => { entries: readonly ServiceEntry[]; areas: readonly AreaDef[] };

export interface DirectoryRoutesOptions {
  directory: DirectorySource;
  limiter: ResidentLimiter;
}

const directoryQuerySchema = z.strictObject({
  area: z
    .string()
    .max(30)
    .optional()
    .meta({ description: "街道/镇，规范名称或常用写法（沁园街道 / 沁园 / 沁园办事处）。Area name or alias." }),
  category: z
    .enum(SERVICE_CATEGORIES as [ServiceCategory, ...ServiceCategory[]])
    .optional()
    .meta({ description: "服务类别。Service category." }),
});

export const directoryEntrySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    category: z.string(),
    area: z
      .string()
      .nullable()
      .meta({ description: "所属街道/镇；null 表示全区或全国。null: district-wide or national." }),
    phone: z.string().nullable(),
    address: z.string().nullable(),
    hours: z.string().nullable(),
    description: z.string().meta({ description: "做什么（中文）。What it does." }),
    howToReach: z.string().nullable(),
    verified: z.boolean().meta({ description: "电话/地址/时间经过本地核实。Contact details verified locally." }),
    source: z.string(),
  })
  .meta({ description: "目录条目。A directory entry." });

const directoryResponseSchema = z.object({
  area: z.string().nullable().meta({ description: "规范化后的街道/镇。The canonical area, or null." }),
  category: z.string().nullable(),
  entries: z.array(directoryEntrySchema),
});

const areasResponseSchema = z.object({
  areas: z.array(
    z.object({
      name: z.string(),
      kind: z.enum(["subdistrict", "town"]).meta({ description: "subdistrict = 街道, town = 镇" }),
      aliases: z.array(z.string()),
    }),
  ),
});

const hotlinesResponseSchema = z.object({
  hotlines: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      phone: z.string(),
      hours: z.string().nullable(),
      description: z.string().meta({ description: "这条热线管什么。What the hotline is for." }),
      howToReach: z.string().nullable(),
    }),
  ),
});

function toEntry(e: ServiceEntry) {
  return {
    id: e.id,
    name: e.name,
    category: e.category,
    area: e.area,
    phone: e.phone,
    address: e.address,
    hours: e.hours,
    description: e.description,
    howToReach: e.howToReach,
    verified: e.verified,
    source: e.source,
  };
}

export const directoryRoutes: FastifyPluginAsyncZod<DirectoryRoutesOptions> = async (app, opts) => {
  app.get(
    "/api/directory",
    {
      schema: {
        tags: ["directory"],
        summary: "服务目录 / Service directory",
        description:
          "按街道/镇和类别查服务点：先列该街道/镇自己的服务点，再列全区和全国的（area 为 null）。" +
          "area 可写规范名称或常用写法；写错返回 400 ERR_AREA_UNKNOWN，message 列出所有可写的名称。\n\n" +
          "Service points by area and category: the area's own first, then district-wide and national ones. " +
          "An unknown area is 400 ERR_AREA_UNKNOWN with a Chinese message listing the valid names.",
        querystring: directoryQuerySchema,
        response: { 200: directoryResponseSchema, 400: errorBodySchema, 429: errorBodySchema },
      },
    },
    async (request) => {
      await opts.limiter.check(request.ip, undefined);
      const { entries, areas } = opts.directory();
      let area: string | null = null;
      if (request.query.area !== undefined && request.query.area.trim() !== "") {
        area = resolveArea(areas, request.query.area);
        if (area === null) throw miniprogramErrors.areaUnknown(unknownAreaMessage(areas, request.query.area));
      }
      const category = request.query.category ?? null;
      return { area, category, entries: filterDirectory(entries, { area, category }).map(toEntry) };
    },
  );

  app.get(
    "/api/directory/areas",
    {
      schema: {
        tags: ["directory"],
        summary: "街道和镇 / Areas",
        description:
          "济源示范区的 5 个街道和 11 个镇，以及居民常用的写法（别名）。\n\n" +
          "Jiyuan's 5 subdistricts (街道) and 11 towns (镇), with the aliases residents use.",
        response: { 200: areasResponseSchema, 429: errorBodySchema },
      },
    },
    async (request) => {
      await opts.limiter.check(request.ip, undefined);
      const { areas } = opts.directory();
      return { areas: areas.map((a) => ({ name: a.name, kind: a.kind, aliases: [...a.aliases] })) };
    },
  );

  app.get(
    "/api/hotlines",
    {
      schema: {
        tags: ["directory"],
        summary: "全国统一热线 / National hotlines",
        description:
          "全国统一的求助热线（110 在最前），每条写明管什么。\n\n" +
          "The national hotlines (110 first), each with what it is for.",
        response: { 200: hotlinesResponseSchema, 429: errorBodySchema },
      },
    },
    async (request) => {
      await opts.limiter.check(request.ip, undefined);
      return {
        hotlines: nationalHotlines(opts.directory().entries).map((e) => ({
          id: e.id,
          name: e.name,
          phone: e.phone ?? "",
          hours: e.hours,
          description: e.description,
          howToReach: e.howToReach,
        })),
      };
    },
  );
};

/**
 * The knowledge's directory getter, or — for a knowledge built without one —
 * the directory read from knowledge/ on first use (with the configured overrides).
 */
export function directorySource(
  fromKnowledge: DirectorySource | undefined,
  overridesFile: string | undefined,
): DirectorySource {
  if (fromKnowledge) return fromKnowledge;
  let loaded: ReturnType<DirectorySource> | undefined;
  return () => {
    loaded ??= {
      entries: loadDirectory(overridesFile ? { overridesFile } : {}),
      areas: loadAreas(),
    };
    return loaded;
  };
}
