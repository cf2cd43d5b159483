/**
 * The reply a resident gets when triage opens (or adds to) a case. Pure.
 *
 * - immediate: the FIRST line is the emergency number — 110, or 120 first when
 *   someone is injured / has taken an overdose / is harming themself now.
 * - then the right hotline: 12338 (妇女维权, domestic and sexual violence),
 *   12355 (青少年, children), 12356 (心理援助, self-harm), 110 for trafficking and
 *   missing children (go to the police at once; there is no 24-hour wait).
 * - then what happens next and a few safety steps. The resident may have left no
 *   phone number or other way to reach them, so the reply never says staff will
 *   "contact" them: the request has been passed to staff, and a staff member will
 *   reply here in this chat as soon as possible (no promised minutes). Only
 *   measures the Jiyuan plans name are mentioned: 人身安全保护令 (court),
 *   告诫书 (police), 紧急庇护, 强制报告.
 * - concern: a warm line that a person will reply here, plus the hotline.
 *
 * Plain text, at most 600 characters.
 */
import type { TriageCategory, TriageSeverity } from "./triage-types.ts";

export interface SafetyReplyArgs {
  category: TriageCategory;
  severity: TriageSeverity;
  needsMedical: boolean;
  outOfHours?: boolean | undefined;
}

export const SAFETY_REPLY_MAX_CHARS = 600;

const LINE_110 = "如果你现在有危险，请马上拨打110报警。";
const LINE_120 = "请马上拨打120急救，有危险拨打110。";
/** Staff answer in this chat: nothing here assumes we can phone or visit the resident. */
export const HANDED_OVER = "你的求助已转给工作人员，工作人员会尽快在这里回复你。";
const CONCERN_HANDED_OVER = "谢谢你愿意告诉我们。你的情况已转给工作人员，工作人员会尽快在这里回复你。";
const OUT_OF_HOURS = "现在是非工作时间，工作人员上班后会尽快在这里回复你；在这之前如有危险，请直接拨打110。";

/** The hotline line for each category. */
export const HOTLINES: Record<TriageCategory, string> = {
  domestic_violence: "妇女维权公益服务热线：12338。",
  sexual_violence: "妇女维权公益服务热线：12338；受害的是未成年人，也可以拨打青少年服务热线12355。",
  child_harm: "青少年（儿童）服务热线：12355。",
  self_harm: "心理援助热线：12356，有专业人员接听。",
  trafficking_missing: "拐卖、走失请直接拨打110报警。",
};

const STEPS: Record<TriageCategory, string> = {
  domestic_violence:
    "你可以向法院申请人身安全保护令；报警后，公安机关可以对施暴人出具告诫书；需要时可以申请紧急庇护，先到安全的地方。请保存好伤情照片、就医记录和聊天记录。",
  child_harm:
    "任何人发现孩子受到伤害都可以报警，学校、医院等单位有强制报告义务；对伤害孩子的监护人，可以依法采取告诫书、人身安全保护令等措施。先让孩子待在安全的地方。",
  sexual_violence: "这不是你的错。请尽量先不要洗澡、不要清洗衣物，保存好衣物、聊天记录等证据，尽快报警并到医院检查。",
  self_harm: "你愿意说出来很重要。请不要一个人待着，找一个信任的人陪在身边，把药物、刀具等危险物品放远一些。",
  trafficking_missing:
    "孩子走失请立即报警或到最近的派出所，不用等24小时。请保存好聊天记录、招工信息、对方电话和车辆等线索。",
};

const MEDICAL_NOT_NOW = "有受伤请尽快就医，情况严重请拨打120。";

function firstLine(severity: TriageSeverity, needsMedical: boolean): string | null {
  if (severity === "immediate") return needsMedical ? LINE_120 : LINE_110;
  return null;
}

export function composeSafetyReply(args: SafetyReplyArgs): string {
  const { category, severity, needsMedical } = args;
  const lines: string[] = [];
  const first = firstLine(severity, needsMedical);
  if (first) lines.push(first);

  if (severity === "concern") {
    lines.push(CONCERN_HANDED_OVER);
    lines.push(HOTLINES[category]);
    if (needsMedical) lines.push(MEDICAL_NOT_NOW);
    lines.push(args.outOfHours ? OUT_OF_HOURS : "如果情况变得危险，请马上拨打110。");
    return clamp(lines);
  }

  lines.push(HOTLINES[category]);
  lines.push(args.outOfHours ? OUT_OF_HOURS : HANDED_OVER);
  if (severity === "urgent") {
    if (needsMedical) lines.push(MEDICAL_NOT_NOW);
    lines.push(LINE_110);
  }
  lines.push(STEPS[category]);
  return clamp(lines);
}

/** Joins lines, dropping trailing ones if ever over the limit (the first lines matter most). */
function clamp(lines: string[]): string {
  const out: string[] = [];
  for (const line of lines) {
    const next = [...out, line].join("\n");
    if (next.length > SAFETY_REPLY_MAX_CHARS) break;
    out.push(line);
  }
  return out.join("\n");
}
