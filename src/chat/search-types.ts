import type { Citation, ServiceCard } from "./chat-types.ts";

export type SearchHit =
  | { type: "plan"; score: number; citation: Citation }
  | { type: "service"; score: number; service: ServiceCard };

export type SearchFn = (
  query: string,
  opts: { type: "plan" | "service" | "all"; area: string | null; limit: number },
) => SearchHit[];
