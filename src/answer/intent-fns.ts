/**
 * What a resident is asking, decided from the wording alone (pure, table
 * driven). Works on raw or normalised text: patterns cover both the dialect
 * forms (咋, 啥, 恁) and their normalised forms (怎么, 什么, 你).
 */

export type Intent = "greeting" | "capabilities" | "plan_target" | "plan_measure" | "service" | "out_of_scope";

export interface QuantityAsk {
  /** Unit family the question asks a figure in: 天, 元, 次 … ; null for a bare 多少. */
  unit: string | null;
}

export interface IntentResult {
  intent: Intent;
  /** Another city/province the question is about (洛阳, 郑州 …), or null. */
  otherPlace: string | null;
  /** The question asks for a number, and in which unit. */
  quantity: QuantityAsk | null;
  /** The question names one plan (儿童规划 / 妇女规划). */
  plan: "women" | "children" | null;
  /** Which rule decided, for logs and tests. */
  rule: string;
}

interface Rule {
  name: string;
  intent: Intent;
  pattern: RegExp;
}

const PUNCT = /[\s!！?？。.,，、~～…:：;；"'“”‘’()（）【】[\]]+/gu;

const GREETING =
  /^(你好|您好|恁好|你们好|大家好|在吗|在不在|在么|在嘛|有人吗|有人没|有人在吗|哈喽|hello|hi|嗨|喂|早|早上好|上午好|中午好|下午好|晚上好|谢谢|谢谢你|多谢|感谢|好的|知道了|收到|ok|嗯|哦)+(啊|呀|呢|吧|哈|嘞|了)?$/u;

const CAPABILITIES =
  /(你|恁|您)(都)?(能|会|可以)(干|做|帮|问|回答)|能(干|做)(啥|什么)|你是谁|你是(干|做)(啥|什么)|你是什么|有(啥|什么)功能|能问(啥|什么)|可以问(啥|什么)|问(啥|什么)都行|怎么用|咋用|使用说明|你们是(谁|哪|什么|干)|谁(开发|做)的你|你是(哪|什么)(个|家)?(公司|单位|部门)|帮助$|^帮助|^菜单$/u;

/** Other cities, counties and provinces (not Jiyuan's own 街道/镇 names). */
const OTHER_PLACES = [
  // Henan cities and Jiyuan's neighbours
  "郑州",
  "开封",
  "洛阳",
  "平顶山",
  "安阳",
  "鹤壁",
  "新乡",
  "焦作",
  "濮阳",
  "许昌",
  "漯河",
  "三门峡",
  "南阳",
  "商丘",
  "信阳",
  "周口",
  "驻马店",
  "孟州",
  "沁阳",
  "温县",
  "孟津",
  "偃师",
  "巩义",
  "登封",
  "新密",
  "荥阳",
  "垣曲",
  "阳城",
  "晋城",
  "运城",
  // Other provinces' capitals and large cities
  "北京",
  "上海",
  "天津",
  "重庆",
  "广州",
  "深圳",
  "杭州",
  "南京",
  "苏州",
  "武汉",
  "成都",
  "西安",
  "长沙",
  "太原",
  "石家庄",
  "济南",
  "青岛",
  "合肥",
  "南昌",
  "福州",
  "厦门",
  "昆明",
  "贵阳",
  "南宁",
  "海口",
  "兰州",
  "银川",
  "西宁",
  "乌鲁木齐",
  "拉萨",
  "呼和浩特",
  "哈尔滨",
  "长春",
  "沈阳",
  "大连",
  "香港",
  "澳门",
  "台湾",
  // Provinces (河南 itself is left out: the plans cite 河南省 programmes)
  "河北",
  "山西",
  "山东",
  "湖北",
  "湖南",
  "安徽",
  "江苏",
  "浙江",
  "江西",
  "福建",
  "广东",
  "广西",
  "海南",
  "四川",
  "贵州",
  "云南",
  "陕西",
  "甘肃",
  "青海",
  "宁夏",
  "新疆",
  "西藏",
  "内蒙古",
  "黑龙江",
  "吉林",
  "辽宁",
  // Other countries
  "美国",
  "日本",
  "韩国",
  "英国",
  "国外",
];
const OTHER_PLACE = new RegExp(`(${OTHER_PLACES.join("|")})(市|省|县|区)?`, "u");
const JIYUAN = /济源|示范区|咱(这|们|这儿|这里)|我们(这|这里|这儿|本地)|本地|俺这/u;

/** Topics the plans and the directory do not cover at all. */
const OFF_TOPIC =
  /天气|下雨|下雪|气温|温度多少度|雾霾|股票|股市|基金|理财|炒股|彩票|房价|楼盘|买房|卖房|房贷|首付|车贷|机票|航班|点外卖|淘宝|京东|拼多多|网购|购物|优惠券|打折|菜谱|做饭|怎么做菜|饭店|餐馆|好吃的|减肥|星座|算命|运势|笑话|讲个故事|写作文|翻译一下|足球|篮球|比分|世界杯|油价|汇率|比特币|违章|驾照|加油站|旅游攻略|电影|电视剧|明星|八卦|游戏攻略|手机号归属|话费|充值|个税|个人所得税|公积金|身份证|户口本|护照|签证/u;

/** Asking for medical treatment advice — the plans set goals, they do not prescribe. */
const MEDICAL_ADVICE = /吃(啥|什么|哪种|哪个)药|用(啥|什么)药|(怎么|咋|如何)治|偏方|挂(啥|什么|哪个)科|打(啥|什么)针/u;

/** Asking for a recommendation or ranking (哪家医院好) — the plans rank nothing. */
const RECOMMEND =
  /哪(家|个|所)[^，,。？?]{0,6}(最好|好一点|好些|比较好|靠谱|好)(啊|呀|呢|吗)?$|推荐(一|个|几)(个|家|所)?|排名|排行榜/u;

const HOTLINE_NUMBER =
  /(^|[^\d])(110|120|119|122|12110|12338|12355|12356|12348|12345|12333|12320|12315|12351|12309|12368)([^\d]|$)/u;

const SERVICE_RULES: Rule[] = [
  { name: "hotline-number", intent: "service", pattern: HOTLINE_NUMBER },
  {
    name: "where",
    intent: "service",
    pattern:
      /哪里|哪儿|哪块|哪个地方|啥地方|什么地方|在哪|去哪|上哪|搁哪|从哪|到哪|哪(个|家)(门诊|医院|部门|单位|机构|窗口)|哪(有|能)(办|报|查|看|打|建|领|申请|登记|咨询)/u,
  },
  {
    name: "contact",
    intent: "service",
    pattern:
      /电话|号码|热线|拨打|打几|打(啥|什么|哪个)(电话|号)?|联系方式|怎么联系|咋联系|联系谁|找谁|找哪|找(啥|什么)(部门|单位|人)|哪个部门|什么部门|啥部门|地址|几点开门|几点上班|开放时间|上班时间|办公时间|报警|举报|投诉|求助|救护车|报名|找(妇联|公安|派出所|警察|律师|法院|民政|居委会|村委会|社区|街道|学校|医院|工会)|找什么人|找啥人/u,
  },
  {
    name: "named-service",
    intent: "service",
    pattern:
      /(有没有|有无|有木有|哪有|附近|最近的)[^，,。？?]{0,8}(家长学校|儿童之家|妇女之家|法律援助|律师|妇联|社工站|社会工作站|未成年人保护工作站|未保站|救助站|庇护|托育机构|托儿所|心理咨询|调解)/u,
  },
];

const FIGURE =
  /多少|几(个|名|所|次|回|课时|岁|小时|天|成|张|人)|目标|达到|达标|比例|占比|比重|百分之|百分比|[率]|指标|降到|降至|提高到|控制在|覆盖|普及|多大|多高|多长|多久|几点/u;

const MEASURE =
  /怎么办|怎么弄|咋办|咋弄|措施|政策|保障|咋保障|怎么保障|有没有|管不管|管没管|谁管|咋管|怎么管|规划(咋|怎么)说|是(啥|什么)|(啥|什么)意思|补偿|能不能|会不会|可以吗|行不行|中不中|要求|规定|提了没|提到|支持|帮扶|救助|服务/u;

const QUANTITY_UNIT =
  /(?:多少|几)(?:个)?(天|日|周|星期|个月|月|年|岁|元|块|钱|万|次|回|遍|名|位|所|张|课时|节课|小时|钟头|分钟|点)/u;
const MONEY_ASK = /(交|缴|花|给|补|发|报销|赔|罚|收|拿|领)(多少|几)|多少钱|几块钱|几毛/u;

/** Unit family, so 回 matches a clause's 次 and 块 matches 元. */
export const UNIT_FAMILY: Record<string, string> = {
  天: "天",
  日: "天",
  周: "周",
  星期: "周",
  个月: "月",
  月: "月",
  年: "年",
  岁: "岁",
  元: "元",
  块: "元",
  钱: "元",
  万: "元",
  次: "次",
  回: "次",
  遍: "次",
  名: "名",
  位: "名",
  所: "所",
  张: "张",
  课时: "课时",
  节课: "课时",
  小时: "小时",
  钟头: "小时",
  分钟: "分钟",
  点: "点",
};

function quantityOf(text: string): QuantityAsk | null {
  if (MONEY_ASK.test(text)) return { unit: "元" };
  if (/多长时间|多久|多少时间|几天能|几天可以|多少天能/u.test(text)) return { unit: "时长" };
  const m = QUANTITY_UNIT.exec(text);
  if (m) return { unit: UNIT_FAMILY[m[1] as string] ?? null };
  if (/多少|几(个|成)|百分之几|比例|占比|率是|率要|率达|率目标/u.test(text)) return { unit: null };
  return null;
}

function planOf(text: string): "women" | "children" | null {
  if (/儿童(发展)?规划/u.test(text)) return "children";
  if (/妇女(发展)?规划/u.test(text)) return "women";
  return null;
}

export interface IntentContext {
  /** The question names one of Jiyuan's 街道/镇 (a resident looking for a local point). */
  areaNamed?: boolean;
  /**
   * The resident's own wording when `text` is the normalised question: rules
   * match either form (救护车 is rewritten to 急救, but asks for a number).
   */
  original?: string;
}

/** Classifies one question. `text` may be raw or normalised. */
export function classifyIntent(text: string, context: IntentContext = {}): IntentResult {
  const bare = text.normalize("NFKC").toLowerCase().replace(PUNCT, "");
  const own = context.original ? context.original.normalize("NFKC").toLowerCase().replace(PUNCT, "") : bare;
  const either = (re: RegExp) => re.test(bare) || re.test(own);
  const base = { quantity: quantityOf(bare), plan: planOf(bare) };
  if (own.length === 0 || (own.length <= 10 && either(GREETING))) {
    return { intent: "greeting", otherPlace: null, ...base, rule: "greeting" };
  }
  if (own.length <= 24 && either(CAPABILITIES)) {
    return { intent: "capabilities", otherPlace: null, ...base, rule: "capabilities" };
  }
  const place = OTHER_PLACE.exec(bare);
  if (place && !JIYUAN.test(bare)) {
    return { intent: "out_of_scope", otherPlace: place[1] as string, ...base, rule: "other-place" };
  }
  if (either(OFF_TOPIC)) return { intent: "out_of_scope", otherPlace: null, ...base, rule: "off-topic" };
  if (either(RECOMMEND)) return { intent: "out_of_scope", otherPlace: null, ...base, rule: "recommendation" };
  if (either(MEDICAL_ADVICE)) return { intent: "out_of_scope", otherPlace: null, ...base, rule: "medical-advice" };
  for (const r of SERVICE_RULES) {
    if (either(r.pattern)) return { intent: r.intent, otherPlace: null, ...base, rule: r.name };
  }
  if (context.areaNamed && !FIGURE.test(bare)) {
    return { intent: "service", otherPlace: null, ...base, rule: "area-named" };
  }
  if (FIGURE.test(bare)) return { intent: "plan_target", otherPlace: null, ...base, rule: "figure" };
  if (MEASURE.test(bare)) return { intent: "plan_measure", otherPlace: null, ...base, rule: "measure" };
  return { intent: "plan_measure", otherPlace: null, ...base, rule: "default" };
}
