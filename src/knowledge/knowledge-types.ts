/**
 * Shapes of the knowledge the service answers from. Everything here is data
 * loaded from `knowledge/` at start-up; nothing is fetched at run time.
 */

export type PlanId = "women" | "children";

/** goal = 主要目标, measure = 策略措施, other = 指导思想/基本原则/总体目标/组织实施/监测评估 and the preamble. */
export type PlanSection = "goal" | "measure" | "other";

/** A figure a goal states, e.g. { indicator: "孕产妇死亡率", value: "9.5/10万以下" }. */
export interface NumericTarget {
  indicator: string;
  value: string;
}

export interface PlanClause {
  /** Stable id, e.g. "women-d1-goal-3", "children-d5-measure-6", "women-other-jbyz-2". */
  id: string;
  plan: PlanId;
  /** 济源示范区妇女发展规划（2021—2030年） */
  planTitle: string;
  /** Domain heading without its ordinal, e.g. "妇女与健康"; null for the general chapters. */
  domain: string | null;
  /** 1-based position of the domain in its plan ((一) = 1); null for the general chapters. */
  domainIndex: number | null;
  section: PlanSection;
  /** Heading the clause sits under: 主要目标, 策略措施, 指导思想, 基本原则, 总体目标, 组织实施, 监测评估 … */
  chapter: string;
  /** The clause's number in its list, e.g. 6 for （6）; null where the source has none. */
  number: number | null;
  /** A measure's lead sentence (加强反家庭暴力法实施力度); for a goal, its text up to the first 。/；. */
  title: string;
  /** Full text, PDF artifacts repaired (page numbers dropped, split lines joined). */
  text: string;
  /** Figures the clause states (goals mostly). */
  targets: NumericTarget[];
}

export type ServiceCategory =
  | "hotline"
  | "parent_school"
  | "family_education_station"
  | "family_education_center"
  | "children_home"
  | "children_director"
  | "women_home"
  | "public_legal_service"
  | "legal_aid"
  | "minor_rescue_protection"
  | "marriage_mediation"
  | "emergency_shelter"
  | "maternal_child_health"
  | "childcare"
  | "social_work_station"
  | "minor_protection_station"
  | "women_federation"
  | "other";

/** One entry of the service directory (a hotline or a service point). */
export interface ServiceEntry {
  id: string;
  name: string;
  category: ServiceCategory;
  /** One of Jiyuan's 街道/镇 (e.g. "沁园街道", "克井镇"), or null for district-wide / national. */
  area: string | null;
  phone: string | null;
  address: string | null;
  hours: string | null;
  /** What it does, in plain Chinese. */
  description: string;
  /** How a resident reaches it when no phone/address is known, as the plan describes it. */
  howToReach: string | null;
  /** Extra words residents use for it (searchable). */
  keywords: string[];
  /** Where the entry comes from, e.g. "规划·儿童与家庭·策略措施（3）" or "国家热线". */
  source: string;
  verified: boolean;
  verifiedAt: string | null;
  verifiedBy: string | null;
}

export interface AreaDef {
  /** Canonical name, e.g. "沁园街道", "克井镇". */
  name: string;
  kind: "subdistrict" | "town";
  /** Other ways residents write it: "沁园", "沁园办事处" … */
  aliases: string[];
}
