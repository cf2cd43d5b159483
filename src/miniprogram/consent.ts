/**
 * The consent a resident gives before a structured report (PIPL 个人信息保护法:
 * art. 14 informed consent, art. 28–29 separate consent for sensitive personal
 * information — a victim's experience, a minor's information —, art. 31 minors
 * under 14, art. 15 withdrawal, art. 13(4) emergencies). Versioned: the version
 * is derived from the text, so any change to it (including the retention
 * periods, which come from the configuration) is a new version and a client
 * holding an old one is asked to show the new text.
 */
import { createHash } from "node:crypto";

export interface ConsentDocument {
  version: string;
  title: string;
  /** Short points the mini-program shows above the full text. */
  summary: string[];
  /** Full text, one paragraph per item. */
  paragraphs: string[];
}

export interface ConsentOptions {
  conversationRetentionDays: number;
  caseRetentionDays: number;
}

/** Bump when the wording changes on purpose; the hash suffix catches every other change. */
const EDITION = "2026-11-29";

export function consentDocument(opts: ConsentOptions): ConsentDocument {
  const title = "求助表单个人信息处理说明与同意";
  const summary = [
    "你填写的经历、所在街道/镇和联系方式属于敏感个人信息，只用于核实情况、联系你和转介帮助。",
    "只有负责这类求助的工作人员和督导能看到；涉及未成年人受侵害等依法必须报告的情况，会向公安等部门报告。",
    `案件结案后保存${opts.caseRetentionDays}天，之后文字和联系方式会被匿名化处理。`,
    "你可以随时撤回同意，或要求查阅、更正、删除你的信息。",
    "如果你或他人现在有危险，请先拨打110。",
  ];
  const paragraphs = [
    "一、我们收集什么。你在求助表单中填写的“发生了什么”、求助类别、所在街道/镇，以及你选择留下的联系方式（电话号码或微信号，也可以选择匿名）。这些信息可能涉及你或他人（包括未成年人）遭受暴力、性侵害、自伤风险等经历，依照《中华人民共和国个人信息保护法》第二十八条属于敏感个人信息；提交表单即表示你就处理这些敏感个人信息单独作出同意。",
    "二、用来做什么。仅用于：工作人员核实情况、与你联系、为你转介妇联、民政、公安、司法、医疗等帮助；统计求助数量以改进服务时，只使用不能识别个人的汇总数据。不会用于任何商业用途，不会出售或公开。",
    "三、谁能看到。只有被分配处理此类求助的工作人员及其督导能看到，每次查看都会留下记录。涉及未成年人遭受或疑似遭受侵害等依法必须报告（强制报告）的情况，工作人员会向公安机关等有关部门报告，并只提供报告所必需的信息。",
    `四、保存多久。没有形成案件的对话保存${opts.conversationRetentionDays}天后删除；案件结案后保存${opts.caseRetentionDays}天，之后对话文字和联系方式会被匿名化，只保留不能识别个人的案件记录。联系方式不会写入系统日志。`,
    "五、你的权利。你可以随时撤回同意，也可以要求查阅、复制、更正或删除你的信息：在本对话中告诉工作人员即可，或拨打12338妇女维权公益服务热线求助。撤回同意不影响撤回前已经进行的处理；为保护你或他人的生命健康、依法必须报告或保存的信息除外。",
    "六、未成年人。如果你未满十四周岁，通常需要父母或其他监护人同意；但如果伤害你的人就是监护人，或者你现在有危险，你可以直接提交求助——在紧急情况下为保护生命健康所必需时，依法可以不经同意处理个人信息（个人信息保护法第十三条）。",
    "七、紧急情况。表单不能代替报警。如果你或他人现在有危险，请立即拨打110；需要急救请拨打120。",
  ];
  const hash = createHash("sha256").update(JSON.stringify({ title, summary, paragraphs })).digest("hex").slice(0, 8);
  return { version: `${EDITION}.${hash}`, title, summary, paragraphs };
}
