/**
 * Triage engine, lexicon loader, normalisation, metrics and safety replies.
 * Every sentence here was written for these tests (none is copied from the
 * eval sets), in the ways residents really write: Henan dialect, typos and
 * homophones, traditional characters, full-width, pinyin, English, emoji,
 * voice-to-text run-ons, third-party reports.
 */
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { foldForTriage, normalizeForTriage } from "../../src/triage/normalize-fns.ts";
import { composeSafetyReply, HOTLINES, SAFETY_REPLY_MAX_CHARS } from "../../src/triage/safety-reply-fns.ts";
import { createTriage } from "../../src/triage/triage-fns.ts";
import { DEFAULT_TRIAGE_DIR, loadTriageLexicon, parseTriageLexicon } from "../../src/triage/triage-lexicon.ts";
import { computeTriageMetrics, parseTriageEvalJsonl } from "../../src/triage/triage-metrics-fns.ts";
import {
  TRIAGE_CATEGORIES,
  TRIAGE_SEVERITIES,
  type TriageCategory,
  type TriageSeverity,
} from "../../src/triage/triage-types.ts";

const lexicon = loadTriageLexicon();
const triage = createTriage(lexicon);

type Row = [text: string, category: TriageCategory, severity: TriageSeverity];

function expectVerdict(text: string, category: TriageCategory, severity?: TriageSeverity) {
  const r = triage(text);
  const why = `${text} → ${r.category}/${r.severity} [${r.signals.join(", ")}]`;
  expect(r.urgent, why).toBe(true);
  expect(r.category, why).toBe(category);
  if (severity) expect(r.severity, why).toBe(severity);
  expect(r.queue?.id, why).toBe(lexicon.queues[category].id);
  return r;
}

function expectNotUrgent(text: string) {
  const r = triage(text);
  expect(r.urgent, `${text} → ${r.category}/${r.severity} [${r.signals.join(", ")}]`).toBe(false);
  expect(r.category).toBeNull();
  expect(r.severity).toBeNull();
  expect(r.queue).toBeNull();
  return r;
}

// ── category × severity ─────────────────────────────────────────────────────

describe("category × severity", () => {
  const rows: Row[] = [
    // domestic violence
    ["老公拿皮带抽我 现在还在骂", "domestic_violence", "immediate"],
    ["🆘🆘 老公在打我", "domestic_violence", "immediate"],
    ["他在外面踹门 说要进来弄死我", "domestic_violence", "immediate"],
    ["他又喝醉了 拿着菜刀在客厅转悠 我跟孩子躲在卧室", "domestic_violence", "immediate"],
    ["俺男人昨天喝多了又把俺打了一顿 胳膊都肿了", "domestic_violence", "urgent"],
    ["他威胁我说要是报警就杀了我", "domestic_violence", "urgent"],
    ["丈夫长期家暴 我想离婚但是不敢", "domestic_violence", "urgent"],
    ["俺男人他…唉 不提了", "domestic_violence", "concern"],
    // child harm
    ["孩子被锁在车里了 大太阳底下", "child_harm", "immediate"],
    ["隔壁小孩被关在阳台上 外面零下好几度 一直在哭", "child_harm", "immediate"],
    ["楼下有个两岁的小孩自己在马路上跑 没大人", "child_harm", "immediate"],
    ["后妈不给孩子饭吃 孩子瘦得皮包骨", "child_harm", "urgent"],
    ["托管班老师扇孩子耳光", "child_harm", "urgent"],
    ["孩子身上青一块紫一块的 问他说是他爸打的", "child_harm", "urgent"],
    ["邻居家的孩子总是一个人在家 没人管 晚上老听见哭", "child_harm", "concern"],
    // sexual violence
    ["有个男的在楼道里拽着我不放 我在喊救命", "sexual_violence", "immediate"],
    ["我被强奸了 不敢报警", "sexual_violence", "urgent"],
    ["他趁我喝醉把我带到宾馆 醒来发现衣服没了", "sexual_violence", "urgent"],
    ["性侵", "sexual_violence", "concern"],
    // self-harm
    ["我已经吃了半瓶安眠药", "self_harm", "immediate"],
    ["对不起大家 我先走了", "self_harm", "immediate"],
    ["老公说要喝农药 已经把药瓶拿出来了", "self_harm", "immediate"],
    ["活着好累 真的撑不下去了 想一了百了", "self_harm", "urgent"],
    ["我想割腕", "self_harm", "urgent"],
    ["不想活了 哈哈 开玩笑的", "self_harm", "concern"],
    // trafficking / missing
    ["儿子在超市门口一转眼就不见了 找了一个小时", "trafficking_missing", "immediate"],
    ["闺女去县城打工 半个月没消息了 电话一直关机", "trafficking_missing", "immediate"],
    ["有人出三万要买我家孩子", "trafficking_missing", "urgent"],
    ["邻居家闺女才15 家里收了彩礼要把她嫁到外省", "trafficking_missing", "urgent"],
    ["拐卖 我该怎么办", "trafficking_missing", "concern"],
  ];
  it.each(rows)("%s → %s/%s", (text, category, severity) => {
    expectVerdict(text, category, severity);
  });

  it("covers every category with every severity", () => {
    for (const c of TRIAGE_CATEGORIES) {
      for (const s of TRIAGE_SEVERITIES) {
        expect(
          rows.some(([, rc, rs]) => rc === c && rs === s),
          `${c}/${s}`,
        ).toBe(true);
      }
    }
  });
});

// ── how residents write ─────────────────────────────────────────────────────

describe("dialect, typos, traditional, full-width, pinyin, English, emoji", () => {
  const rows: [label: string, text: string, category: TriageCategory][] = [
    ["Henan 俺/恁", "恁能不能帮帮俺 俺家那口子天天打俺 俺不敢跟娘家说", "domestic_violence"],
    ["Henan 叫 = 被", "叫他打了一顿 脸都肿了", "domestic_violence"],
    ["Henan 掌柜的", "掌柜的一喝酒就打人 孩子都吓哭了", "domestic_violence"],
    ["Henan 孩儿他爹, 叫…打", "孩子叫他爹打得满身是伤", "child_harm"],
    ["typo 家报", "我老公家报我", "domestic_violence"],
    ["homophone 紫砂", "想紫砂", "self_harm"],
    ["homophone 自沙", "活着没意思 想自沙", "self_harm"],
    ["mixed pinyin", "想zisha", "self_harm"],
    ["IME typo 不想或了", "真的不想或了", "self_harm"],
    ["traditional", "老公對我家暴 我該怎麼辦", "domestic_violence"],
    ["traditional", "鄰居家的孩子天天被打 哭得好慘", "child_harm"],
    ["traditional", "我真的不想活了 對不起爸媽", "self_harm"],
    ["full-width", "ｍｙ ｈｕｓｂａｎｄ ｈｉｔｓ ｍｅ", "domestic_violence"],
    ["full-width", "ｋｉｌｌ ｍｙｓｅｌｆ", "self_harm"],
    ["zero-width inside a word", "我老公家\u200b暴我", "domestic_violence"],
    ["pinyin sentence", "wo xiang si", "self_harm"],
    ["English", "he beats me and I am scared", "domestic_violence"],
    ["English, minor", "My uncle raped me when I was 10", "sexual_violence"],
    ["English", "I don't want to live anymore", "self_harm"],
    ["English", "my son is missing since this morning", "trafficking_missing"],
    ["emoji fist", "他又👊我了", "domestic_violence"],
    ["emoji knife", "他拿着🔪在门口 说要砍死我", "domestic_violence"],
    ["emoji pills", "💊💊💊 吃完就解脱了", "self_harm"],
    [
      "voice-to-text run-on",
      "喂你好我想咨询一下就是我老公他天天喝酒喝醉了就打我还说要杀了我我该怎么办",
      "domestic_violence",
    ],
    ["voice-to-text run-on", "喂喂我孩子不见了刚才还在楼下玩现在到处都找不到怎么办", "trafficking_missing"],
    ["voice-to-text run-on", "喂我就是想说我真的好累不想活了每天都不想醒过来", "self_harm"],
  ];
  it.each(rows)("%s: %s", (_label, text, category) => {
    expectVerdict(text, category);
  });

  it("folds full-width, traditional and zero-width characters", () => {
    expect(foldForTriage("ＫＩＬＬ　ｍｙｓｅｌｆ！")).toBe("kill myself!");
    expect(foldForTriage("離婚後他還跟著我")).toBe("离婚后他还跟着我");
    expect(foldForTriage("家\u200b暴\uFEFF")).toBe("家暴");
    expect(foldForTriage("I’m  16")).toBe("i'm 16");
  });

  it("rewrites homophones, pinyin, English and emoji with the alias table", () => {
    expect(normalizeForTriage("紫砂", lexicon.aliases)).toBe("自杀");
    expect(normalizeForTriage("紫砂壶多少钱", lexicon.aliases)).toBe("紫砂壶多少钱");
    expect(normalizeForTriage("bu xiang huo le", lexicon.aliases)).toBe("不想活了");
    expect(normalizeForTriage("I'm 15", lexicon.aliases)).toBe("我15岁");
    expect(normalizeForTriage("🆘", lexicon.aliases)).toBe("救命");
    expect(normalizeForTriage("电话打不通", lexicon.aliases)).toBe("电话拨不通");
  });
});

// ── third-party reports ─────────────────────────────────────────────────────

describe("third-party reports", () => {
  const rows: [text: string, category: TriageCategory][] = [
    ["邻居家孩子天天挨打 晚上老听见哭", "child_harm"],
    ["我是老师 班上有个学生身上老有伤 问他也不说", "child_harm"],
    ["我是班主任 有个学生说他爸天天打他 身上都是伤 我该怎么报告", "child_harm"],
    ["我们村有户人家 老人天天拿棍子打孙子", "child_harm"],
    ["我姐被她老公打得住院了", "domestic_violence"],
    ["隔壁两口子又打起来了 女的在哭喊", "domestic_violence"],
    ["我朋友被她老公打了 我该怎么帮她", "domestic_violence"],
    ["我姑娘回来说有个大爷摸她下面", "sexual_violence"],
    ["同学说她要自杀 我好害怕", "self_harm"],
    ["我家孩子说不想上学 还说不想活了 我该咋办", "self_harm"],
    ["外地来的男的说给俺闺女介绍工作 带走三天了没消息", "trafficking_missing"],
    ["有个视频里一个男的踹小孩 看背景就在咱们小区 有人认识吗", "child_harm"],
  ];
  it.each(rows)("%s → %s", (text, category) => {
    expectVerdict(text, category);
  });
});

// ── who it is about decides the queue ───────────────────────────────────────

describe("victim and actor decide the category", () => {
  it.each<[string, TriageCategory]>([
    ["我爸天天打我 我才12岁", "child_harm"],
    ["我老公天天打我", "domestic_violence"],
    ["我爸又打我妈了 我好怕", "domestic_violence"],
    ["保姆偷偷掐我家宝宝 监控拍到了", "child_harm"],
    ["我孙子叫他后妈打得不敢回家", "child_harm"],
    ["前夫天天跟着我 还在单位门口堵我", "domestic_violence"],
    ["下班路上有个陌生男的一直跟着我 还想拽我", "sexual_violence"],
    ["一个陌生人一直跟着我女儿放学 今天还想拉她上车", "trafficking_missing"],
    ["孩子才三岁 他妈天天把他一个人锁在家里出去打麻将", "child_harm"],
    ["他把我手机摔了 我借邻居的手机发的 我不敢回家", "domestic_violence"],
  ])("%s → %s", (text, category) => {
    expectVerdict(text, category);
  });

  it("an adult relative attacked by a stranger is outside these queues", () => {
    const r = expectNotUrgent("我朋友被人打了 在医院缝针");
    expect(r.signals).toContain("ctx.out_of_scope");
  });
});

// ── must not fire ───────────────────────────────────────────────────────────

describe("negative contexts do not fire", () => {
  const rows: [kind: string, text: string][] = [
    ["law question", "反家庭暴力法对告诫书是怎么规定的"],
    ["law question", "强奸罪一般判几年"],
    ["law question", "打孩子犯法吗"],
    ["plan question", "规划里对预防拐卖儿童有什么措施"],
    ["definition", "精神控制算不算家暴"],
    ["education", "如何预防校园性侵 有没有培训资料"],
    ["education", "怎么教孩子识别坏人 防止被拐"],
    ["news", "看了个电视剧 里面女主被家暴 好气"],
    ["news", "看到一个新闻 有个妈妈抱着孩子跳楼了 好难过"],
    ["rumour", "听说有人在学校门口拐孩子 是真的吗"],
    ["hypothetical", "万一孩子丢了怎么办"],
    ["hypothetical", "假如同事被老公打了 我能帮她报警吗"],
    ["idiom 累死了", "累死了 今天加班到十点"],
    ["idiom 想死的心", "这网站卡得我想死的心都有了"],
    ["idiom 饿死了", "饿死了 食堂几点开门"],
    ["idiom 气死", "这手机死机了 气死"],
    ["idiom 杀价", "砍价群 帮我砍一刀"],
    ["idiom 打死也不", "打死我也不去相亲"],
    ["idiom 跳楼价", "跳楼价甩卖 童装五折"],
    ["everyday 打针", "打完针孩子一直哭 正常吗"],
    ["everyday 打游戏", "老公天天打游戏不管孩子 咋办"],
    ["everyday 打电话", "婆婆老打电话催生"],
    ["everyday 打篮球", "孩子打篮球把胳膊摔骨折了"],
    ["everyday 打扫", "孩子爸爸让他打扫房间"],
    ["everyday 打车", "晚上带孩子打车回家安全吗"],
    ["everyday 打卡", "儿童之家的活动要打卡吗"],
    ["everyday 打印", "保护令申请书在哪打印"],
    ["everyday 打呼噜", "老公打呼噜太响了 睡不着"],
    ["everyday 打疫苗", "今天带孩子去打疫苗 人好多"],
    ["meta", "你们这个机器人能识别紧急情况吗"],
    ["joke", "孩子不听话 我真想打他一顿 哈哈"],
    ["joke", "我家熊孩子又把墙画花了 气死我了"],
    ["resolved", "事情已经处理好了 他也被拘留了 谢谢"],
    ["service", "请问妇女之家在哪"],
    ["service", "留守儿童关爱活动怎么报名"],
    ["service", "我是社区网格员 怎么发现家暴线索"],
    ["peer scuffle", "我家孩子叫同学打了一下 没啥事"],
    ["child as aggressor", "老师说孩子在学校老打人 怎么教育"],
    ["missing but in contact", "女儿跟同学去公园玩了 刚打电话说在回来的路上"],
    ["left with a parent", "老婆带孩子回娘家了 三天没回来 我想她们"],
    ["adult away", "我老公出差三天没回家了 孩子天天想他"],
    ["object lost", "孩子的作业本丢了 老师要罚"],
    ["pet lost", "我家狗丢了 好着急"],
    ["medical mark", "孩子腿上有块胎记 颜色像淤青 老被人问"],
    ["accident", "孩子被开水烫伤了 涂什么药"],
  ];
  it.each(rows)("%s: %s", (_kind, text) => {
    expectNotUrgent(text);
  });
});

// ── negation ────────────────────────────────────────────────────────────────

describe("negation", () => {
  it.each([
    ["他从来不打我 就是不给家里钱"],
    ["他没打孩子 就是老吼"],
    ["我没事 只是想问问人身安全保护令怎么申请"],
    ["不是家暴 就是两口子吵架"],
  ])("removes danger: %s", (text) => {
    expectNotUrgent(text);
  });

  it.each<[string, TriageCategory]>([
    ["不是我想麻烦你们 但是他昨晚又掐我脖子了", "domestic_violence"],
    ["我也不知道算不算家暴 他每次喝完酒都扇我耳光", "domestic_violence"],
    ["其实也没啥大事 就是他一生气就掐我", "domestic_violence"],
    ["他打我 不过他平时对我挺好的", "domestic_violence"],
    ["我被家暴了 怎么申请保护令", "domestic_violence"],
    ["我对象他。。。算了 没事", "domestic_violence"],
    ["求求你别打我了 好疼", "domestic_violence"],
    ["不想上学 不想活 每天都想消失", "self_harm"],
  ])("does not remove danger: %s", (text, category) => {
    expectVerdict(text, category);
  });

  it("keeps a disclosure that follows a law question in the same message", () => {
    const r = expectVerdict("反家暴法规定打老婆犯法吗 我老公天天打我", "domestic_violence");
    expect(r.signals).toContain("vio.hit.me");
  });
});

// ── signals, medical ────────────────────────────────────────────────────────

describe("signals and needsMedical", () => {
  it("lists the rules that fired", () => {
    const r = triage("他天天打我 现在还在砸东西");
    expect(r.signals).toEqual(expect.arrayContaining(["vio.hit.me", "ctx.repeat", "sev.now"]));
  });

  it("lists the negative context that masked a cue", () => {
    const r = triage("婚内强奸在法律上怎么认定");
    expect(r.urgent).toBe(false);
    expect(r.signals).toContain("neg.law_question");
  });

  it("lists the idiom mask that hid a word", () => {
    expect(triage("笑死了 这个活动太有意思了").signals).toContain("idiom.x_si_le");
  });

  it.each<[string, boolean]>([
    ["我已经吃了一整瓶安眠药", true],
    ["他把我打得头破血流", true],
    ["老公掐我脖子 我差点喘不上气", true],
    ["孩子割腕了 在流血", true],
    ["他说要杀了我全家", false],
    ["我不想活了", false],
  ])("needsMedical for %s → %s", (text, medical) => {
    const r = triage(text);
    expect(r.urgent).toBe(true);
    expect(r.needsMedical).toBe(medical);
  });
});

// ── follow-ups ──────────────────────────────────────────────────────────────

describe("follow-ups to an open case", () => {
  const dvOpen = { openCase: { category: "domestic_violence" as const, severity: "urgent" as const } };

  it.each([["他现在还在门外"], ["他又来了"], ["他还堵在楼下不走"], ["救命 他又砸门了"]])(
    "%s attaches and raises to immediate",
    (text) => {
      const r = triage(text, dvOpen);
      expect(r.followUp).toBe(true);
      expect(r.urgent).toBe(true);
      expect(r.category).toBe("domestic_violence");
      expect(r.severity).toBe("immediate");
    },
  );

  it("never lowers the open case's severity", () => {
    const r = triage("我又难受了 不想活", {
      openCase: { category: "self_harm", severity: "immediate" },
    });
    expect(r.followUp).toBe(true);
    expect(r.severity).toBe("immediate");
  });

  it("attaches a status update without raising", () => {
    const r = triage("还是联系不上", { openCase: { category: "trafficking_missing", severity: "urgent" } });
    expect(r.followUp).toBe(true);
    expect(r.category).toBe("trafficking_missing");
    expect(r.severity).toBe("urgent");
  });

  it.each([["你们几点上班"], ["好的谢谢"], ["保护令怎么申请"]])("does not attach: %s", (text) => {
    const r = triage(text, dvOpen);
    expect(r.followUp).toBe(false);
    expect(r.urgent).toBe(false);
  });

  it("a new report in another category is not a follow-up", () => {
    const r = triage("孩子不见了 到处找不到", dvOpen);
    expect(r.followUp).toBe(false);
    expect(r.category).toBe("trafficking_missing");
  });

  it("without an open case the same words are not urgent", () => {
    expect(triage("他现在还在门外").urgent).toBe(false);
  });
});

// ── lexicon loading ─────────────────────────────────────────────────────────

describe("lexicon loader", () => {
  const dir = fileURLToPath(DEFAULT_TRIAGE_DIR);
  const files: Record<string, string> = {};
  for (const name of readdirSync(dir)) if (name.endsWith(".yaml")) files[name] = readFileSync(`${dir}/${name}`, "utf8");

  it("loads the reviewed lexicon", () => {
    expect(lexicon.cues.length).toBeGreaterThan(40);
    expect(lexicon.queues.domestic_violence.name).toBe("妇联家暴求助");
    expect(lexicon.queues.child_harm.name).toBe("未成年人保护");
    expect(lexicon.queues.sexual_violence.name).toBe("性侵害求助");
    expect(lexicon.queues.self_harm.name).toBe("心理危机干预");
    expect(lexicon.queues.trafficking_missing.name).toBe("拐卖/走失");
  });

  const bad = (extra: Record<string, string>) => () => parseTriageLexicon({ ...files, ...extra });
  const cue = (body: string) => `cues:\n  - id: test.cue\n    group: violence\n    category: child_harm\n${body}`;

  it.each<[string, Record<string, string>, RegExp]>([
    [
      "bad regex",
      { "cues-zz.yaml": cue("    patterns:\n      - '(打'\n") },
      /cues-zz\.yaml: cues\.0\.patterns\.0: invalid regular expression/,
    ],
    [
      "unknown word class",
      { "cues-zz.yaml": cue("    patterns:\n      - '{NOPE}打'\n") },
      /cues-zz\.yaml: cues\.0\.patterns\.0: unknown word class \{NOPE\}/,
    ],
    ["missing field", { "cues-zz.yaml": cue("    weight: 1\n") }, /cues-zz\.yaml: cues\.0\.patterns:/],
    [
      "unknown category",
      { "cues-zz.yaml": "cues:\n  - id: test.cue\n    group: g\n    category: theft\n    patterns: ['偷']\n" },
      /cues-zz\.yaml: cues\.0\.category:/,
    ],
    [
      "duplicate id",
      { "cues-zz.yaml": "cues:\n  - id: vio.hit.me\n    group: g\n    category: child_harm\n    patterns: ['x']\n" },
      /duplicate id vio\.hit\.me/,
    ],
    ["unknown field", { "cues-zz.yaml": cue("    patterns: ['x']\n    wieght: 2\n") }, /cues-zz\.yaml: cues\.0/],
    ["broken YAML", { "queues.yaml": "queues: [" }, /queues\.yaml: \(file\): not valid YAML/],
    [
      "negative without scope",
      { "negatives.yaml": "negatives:\n  - id: neg.x\n    max_level: term\n    patterns: ['x']\n" },
      /negatives\.yaml: negatives\.0\.scope/,
    ],
  ])("rejects %s, naming file and field", (_label, extra, message) => {
    expect(bad(extra)).toThrow(message);
  });

  it("rejects a directory missing a required file", () => {
    const { "masks.yaml": _omit, ...rest } = files;
    expect(() => parseTriageLexicon(rest)).toThrow(/masks\.yaml: \(file\): file is missing/);
  });
});

// ── metrics ─────────────────────────────────────────────────────────────────

describe("triage metrics", () => {
  it("computes recall, false alarms, category accuracy and immediate recall", () => {
    const items = parseTriageEvalJsonl(
      [
        { id: "a", text: "x", urgent: true, category: "self_harm", immediate_danger: true },
        { id: "b", text: "x", urgent: true, category: "child_harm", immediate_danger: false },
        { id: "c", text: "x", urgent: true, category: "domestic_violence", immediate_danger: false },
        { id: "d", text: "x", urgent: false, category: "none", immediate_danger: false },
        { id: "e", text: "x", urgent: false, category: "none", immediate_danger: false },
      ]
        .map((o) => JSON.stringify(o))
        .join("\n"),
    );
    const verdicts = [
      { urgent: true, category: "self_harm", severity: "urgent" },
      { urgent: true, category: "domestic_violence", severity: "urgent" },
      { urgent: false, category: null, severity: null },
      { urgent: true, category: "self_harm", severity: "concern" },
      { urgent: false, category: null, severity: null },
    ] as const;
    const m = computeTriageMetrics(items.map((item, i) => ({ item, verdict: verdicts[i] ?? verdicts[4] })));
    expect(m.urgentRecall).toBeCloseTo(2 / 3);
    expect(m.falseAlarmRate).toBeCloseTo(1 / 2);
    expect(m.categoryAccuracy).toBeCloseTo(1 / 2);
    expect(m.immediateRecall).toBe(0);
    expect(m.misses.map((x) => `${x.id}:${x.kind}`).sort()).toEqual([
      "a:missed_immediate",
      "b:wrong_category",
      "c:missed_urgent",
      "d:false_alarm",
    ]);
  });

  it("names the bad line of a JSONL file", () => {
    expect(() => parseTriageEvalJsonl('{"id":"a"}\n')).toThrow(/line 1/);
  });
});

// ── safety replies ──────────────────────────────────────────────────────────

describe("composeSafetyReply", () => {
  const combos = TRIAGE_CATEGORIES.flatMap((category) =>
    TRIAGE_SEVERITIES.flatMap((severity) =>
      [false, true].flatMap((needsMedical) =>
        [false, true].map((outOfHours) => ({ category, severity, needsMedical, outOfHours })),
      ),
    ),
  );

  it.each(combos)("$category/$severity medical=$needsMedical out=$outOfHours is short plain text", (args) => {
    const reply = composeSafetyReply(args);
    expect(reply.length).toBeGreaterThan(20);
    expect(reply.length).toBeLessThanOrEqual(SAFETY_REPLY_MAX_CHARS);
    expect(reply).not.toMatch(/分钟|小时内|保证|一定会/);
    expect(reply).not.toMatch(/[<>*#]/);
    // The resident may have left no way to be reached: staff reply in this chat, nobody promises to call.
    expect(reply).not.toMatch(/联系你|给你打电话|上门/);
    expect(reply).toContain("工作人员");
    expect(reply).toMatch(/在这里回复你/);
  });

  it.each(TRIAGE_CATEGORIES)("immediate %s starts with the 110 line", (category) => {
    const reply = composeSafetyReply({ category, severity: "immediate", needsMedical: false });
    expect(reply.split("\n")[0]).toBe("如果你现在有危险，请马上拨打110报警。");
  });

  it.each(TRIAGE_CATEGORIES)("immediate %s with injury starts with the 120 line", (category) => {
    const reply = composeSafetyReply({ category, severity: "immediate", needsMedical: true });
    expect(reply.split("\n")[0]).toBe("请马上拨打120急救，有危险拨打110。");
  });

  it.each<[TriageCategory, string]>([
    ["domestic_violence", "12338"],
    ["sexual_violence", "12338"],
    ["child_harm", "12355"],
    ["self_harm", "12356"],
    ["trafficking_missing", "110"],
  ])("%s gives line %s", (category, line) => {
    for (const severity of TRIAGE_SEVERITIES) {
      expect(composeSafetyReply({ category, severity, needsMedical: false })).toContain(line);
    }
    expect(HOTLINES[category]).toContain(line);
  });

  it("domestic violence names the protection order, the police warning and shelter", () => {
    const reply = composeSafetyReply({ category: "domestic_violence", severity: "urgent", needsMedical: false });
    expect(reply).toContain("人身安全保护令");
    expect(reply).toContain("告诫书");
    expect(reply).toContain("紧急庇护");
    expect(reply).toContain("你的求助已转给工作人员，工作人员会尽快在这里回复你");
  });

  it("a missing child: go to the police now, no 24-hour wait", () => {
    const reply = composeSafetyReply({ category: "trafficking_missing", severity: "immediate", needsMedical: false });
    expect(reply).toMatch(/不用等24小时/);
    expect(reply).toMatch(/派出所/);
  });

  it("concern is warm, says a staff member will reply here and gives the line", () => {
    const reply = composeSafetyReply({ category: "self_harm", severity: "concern", needsMedical: false });
    expect(reply).toMatch(/谢谢你愿意告诉我们/);
    expect(reply).toMatch(/工作人员会尽快在这里回复你/);
    expect(reply).toContain("12356");
  });

  it("out of hours says staff will reply here after hours, and 110 meanwhile", () => {
    const reply = composeSafetyReply({
      category: "child_harm",
      severity: "urgent",
      needsMedical: false,
      outOfHours: true,
    });
    expect(reply).toMatch(/非工作时间/);
    expect(reply).toMatch(/上班后会尽快在这里回复你/);
    expect(reply).toContain("110");
  });
});
