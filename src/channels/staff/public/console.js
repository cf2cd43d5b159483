// 济源妇儿服务助手 — staff console.
//
// Plain script, no build step, no third-party code; the CSP allows only this
// file, so there are no inline handlers anywhere. Everything that came from a
// resident or another staff member is rendered with textContent, never as HTML.
//
// The live list is kept from three sources that may overlap: the HTTP list,
// live `case_event` frames on /ws/staff, and the frames replayed after a
// reconnect (`resume`). Each case summary carries lastEventSeq, so an older
// copy never overwrites a newer one, and each event is applied once (by seq).

(() => {
  // ------------------------------------------------------------------ labels

  const CATEGORY = {
    domestic_violence: "家庭暴力",
    child_harm: "儿童受害",
    sexual_violence: "性侵害",
    self_harm: "自伤/自杀风险",
    trafficking_missing: "拐卖/走失",
  };
  const SEVERITY = {
    immediate: { label: "紧急（有危险）", short: "紧急", rank: 0 },
    urgent: { label: "急", short: "急", rank: 1 },
    concern: { label: "关注", short: "关注", rank: 2 },
  };
  const STATUS = { new: "待认领", claimed: "处理中", closed: "已结案" };
  const CHANNEL = { web: "网页", wechat: "微信", miniprogram: "小程序" };
  const ROLE = { staff: "工作人员", supervisor: "督导", admin: "管理员" };
  const QUEUE_NAMES = {
    "fulian-dv": "妇联家暴求助",
    "minor-protection": "未成年人保护",
    "sexual-violence": "性侵害求助",
    "crisis-intervention": "心理危机干预",
    "trafficking-missing": "拐卖/走失",
  };
  const OUTCOMES = [
    ["referred_police", "已转公安/报警"],
    ["mandatory_report_filed", "已完成强制报告"],
    ["referred_service", "已转介服务机构"],
    ["advice_given", "已提供咨询建议"],
    ["no_contact", "联系不上求助人"],
    ["duplicate", "重复案件"],
    ["not_urgent", "不属于紧急情况"],
  ];
  const OUTCOME_LABEL = Object.fromEntries(OUTCOMES);
  const EVENT_LABEL = {
    created: "新案件",
    claimed: "认领",
    replied: "回复求助人",
    noted: "内部备注",
    transferred: "转交",
    referred: "强制报告",
    mandatory_report: "强制报告",
    closed: "结案",
    reopened: "重新打开",
    resident_message: "求助人发来消息",
    sla_breached: "超过认领时限",
    escalated: "紧急程度提高",
    viewed: "查看案件",
    anonymised: "已匿名化",
  };
  /**
   * Triage signal ids (knowledge/triage/*.yaml) in words staff read at a glance.
   * A copy for display only: an id missing here is shown as it is, with the id
   * always in the tooltip.
   */
  const SIGNAL_LABEL = {
    "ch.alone": "孩子无人看护",
    "ch.left_behind": "孩子被独自留下",
    "ch.climbing": "孩子攀爬高处",
    "ch.locked_in": "孩子被关/锁在里面",
    "ch.neglect.food.child": "不给孩子吃饭",
    "ch.neglect.food": "不给饭/水",
    "ch.neglect.punish": "虐待性惩罚",
    "ch.injury.seen": "身上可见伤痕",
    "ch.crying_heard": "常听到孩子哭喊",
    "ch.fear_of_adult": "孩子害怕某个大人",
    "ch.abandoned": "遗弃儿童",
    "ch.accident_now": "孩子正处于危险（意外）",
    "ch.parent_hits_self": "家长自述打孩子过重",
    "tm.missing.child": "孩子不见了",
    "tm.missing.not_home": "没有按时回家",
    "tm.missing.loose": "到处找不到人",
    "tm.meet_online": "未成年人要去见网友",
    "tm.unreachable.person": "某人联系不上",
    "tm.unreachable": "联系不上",
    "tm.eloped_minor": "未成年人离家出走/跟人走了",
    "tm.sell_child": "买卖人口",
    "tm.bride_purchase": "买卖婚姻",
    "tm.trafficker_seen": "发现疑似人贩子",
    "tm.trafficking.term": "提到“拐卖”（话题词）",
    "tm.forced_marriage": "逼婚",
    "tm.marriage_pressure": "家里安排婚事",
    "tm.begging": "孩子被利用乞讨",
    "tm.job_lure": "可疑招工",
    "tm.held": "被扣押/控制",
    "tm.held.signs": "被骗到外地/证件被扣",
    "tm.held.kept": "不让走",
    "sh.ideation": "有轻生念头",
    "sh.suicide.event": "说到要自杀/自杀过",
    "sh.suicide.term": "提到“自杀”（话题词）",
    "sh.ending": "间接表达想结束生命",
    "sh.plan": "有自杀计划",
    "sh.means": "已准备自杀工具/药物",
    "sh.means.ready": "东西已准备好",
    "sh.timed": "说了时间（今晚/明天）",
    "sh.method.intent": "说要用某种方式自杀",
    "sh.method.want": "想用某种方式自杀",
    "sh.method.thought": "提到自杀方式",
    "sh.with_child": "要带孩子一起死",
    "sh.injury": "自伤",
    "sh.overdose.taken": "已服药/农药过量",
    "sh.attempt": "已经发生自杀行为",
    "sh.overdose.weak": "吃了很多药",
    "sh.farewell": "告别的话",
    "sh.farewell.weak": "疑似告别",
    "sh.at_edge": "在高处/楼顶/桥上",
    "sh.despair": "绝望",
    "sv.assault.event": "遭受性侵",
    "sv.assault.term": "提到性侵（话题词）",
    "sv.touch": "被摸/猥亵",
    "sv.groping": "被动手动脚",
    "sv.forced": "被强迫发生关系",
    "sv.nonconsent": "违背意愿发生关系",
    "sv.forced.bare": "“强迫我”",
    "sv.refusal_ignored": "拒绝后仍被侵犯",
    "sv.drugged": "被下药/灌醉",
    "sv.plied_drink": "被灌酒",
    "sv.incapacitated": "失去意识/断片",
    "sv.exploit_state": "趁人之危",
    "sv.undressed": "衣服被脱",
    "sv.voyeur": "偷窥",
    "sv.images.recorded": "被拍视频/照片",
    "sv.images.extort": "以私密照片视频要挟",
    "sv.csam": "儿童色情内容",
    "sv.groom.lure": "诱骗儿童独处",
    "sv.groom.secret": "要求孩子保密",
    "sv.groom.night": "夜间进入孩子房间",
    "sv.child_symptom": "孩子可能受性侵的迹象",
    "sv.coerced": "性胁迫",
    "sv.harass.touch": "非家人的身体骚扰",
    "vio.hit.actor": "有人殴打",
    "vio.hit.by_whom": "说出施暴人",
    "vio.hit.instrument": "用器物殴打",
    "vio.scald": "泼烫/泼腐蚀液体",
    "vio.hit.idiom": "殴打（拳打脚踢等）",
    "vio.hit.me": "求助人被打",
    "vio.hit.aspect": "已经动手打了",
    "vio.hit.repeat": "反复殴打",
    "vio.hit.passive": "被打",
    "vio.hit.ba": "把人打/推倒",
    "vio.hit.slap": "扇耳光/踹",
    "vio.hit.injury": "被打致伤",
    "vio.hit.wound": "被打出伤口",
    "vio.hit.severe": "严重殴打（危及生命）",
    "vio.hit.ongoing": "正在殴打",
    "vio.hit.person": "会打人",
    "vio.hit.raised_hand": "动手了",
    "vio.hit.topic": "谈到打孩子（话题）",
    "vio.trailing_off": "话说一半又收回",
    "vio.jiabao.event": "遭受家暴",
    "vio.jiabao.term": "提到“家暴”（话题词）",
    "vio.strangle": "掐/勒脖子",
    "vio.threat.kill": "威胁要杀人",
    "vio.threat.harm": "威胁伤害",
    "vio.suicide_threat": "以自杀相威胁",
    "vio.harass.visit": "上门骚扰",
    "vio.threat.speaker_child": "说要伤害自己的孩子",
    "vio.weapon.used": "用凶器伤人",
    "vio.weapon.held": "手持凶器",
    "vio.fear.flee": "不敢回家/逃出来",
    "contact.confine": "被锁/被关着",
    "contact.confine.bare": "走不了",
    "contact.kept_in": "不让出门",
    "contact.phone_taken": "手机/证件被夺",
    "contact.property_smash": "砸东西",
    "contact.follow": "被跟踪/堵截",
    "contact.grab": "被拉拽",
    "ctx.repeat": "反复发生",
    "ctx.young_child": "幼儿",
    "ctx.young_child_sv": "幼儿",
    "ctx.child_involved": "涉及儿童",
    "ctx.minor": "未成年人",
    "ctx.danger_place": "危险地点",
    "ctx.late_or_long": "时间很晚/很久",
    "ctx.should_be_back": "早该回来了",
    "ctx.long_absence": "看护人多日不在",
    "ctx.neglect_sign": "疏于照料的迹象",
    "ctx.unreachable": "联系不上",
    "ctx.lured": "跟陌生人/网友走",
    "ctx.not_own_child": "孩子可能非亲生",
    "ctx.money_offer": "涉及金钱交易",
    "ctx.unwilling": "本人不愿意",
    "ctx.help_cry": "呼救",
    "ctx.fear": "害怕",
    "ctx.pregnant": "孕期/产后",
    "ctx.leaving_now": "正要/刚刚离开",
    "ctx.stranded": "无处可去",
    "ctx.drunk": "酒后",
    "ctx.at_door": "施暴人在门外",
    "ctx.adult_male_child": "成年男性接近儿童",
    "ctx.gift": "给孩子钱物",
    "ctx.self_harm_context": "自伤语境",
    "ctx.means_present": "身边有工具/药物",
    "ctx.high_place": "高处",
    "sev.now": "正在发生",
    "sev.recent": "刚刚发生",
    "sev.hiding": "正在躲避",
    "sev.past": "过去发生",
    "med.injury": "身体受伤（需120）",
    "med.overdose": "服药/服毒",
    "fu.still_there": "危险仍在",
    "fu.returned": "施暴人又来了",
    "fu.renewed_harm": "再次发生",
    "fu.help_now": "在等待救助",
    "fu.status": "情况更新",
    "fu.now_anaphor": "描述现在的情况",
  };
  const TRANSCRIPT_WHO = { resident: "求助人", bot: "助手", staff: "工作人员" };

  const MSG_NETWORK = "网络连接失败，请检查网络后重试。";
  const MSG_SESSION_ENDED = "登录已失效，请重新登录。";
  const MSG_SESSION_CHANGED = "这个浏览器的登录状态变了（可能在其他标签页重新登录过），请重新登录。";

  /** Claim deadlines by severity (src/cases/sla-fns.ts): the clock restarts on reopen and transfer. */
  const SLA_MS = { immediate: 3 * 60_000, urgent: 15 * 60_000, concern: 24 * 60 * 60_000 };

  const TICK_MS = 1000;
  const PING_INTERVAL_MS = 25_000;
  const PONG_TIMEOUT_MS = 10_000;
  const BACKOFF_START_MS = 1000;
  const BACKOFF_MAX_MS = 30_000;
  const HTTP_TIMEOUT_MS = 20_000;
  const MAX_TEXT = 2000;

  const $ = (id) => document.getElementById(id);
  const el = {
    boot: $("boot"),
    loginView: $("login-view"),
    loginForm: $("login-form"),
    loginUser: $("login-username"),
    loginPass: $("login-password"),
    loginError: $("login-error"),
    loginNotice: $("login-notice"),
    loginSubmit: $("login-submit"),
    consoleView: $("console-view"),
    conn: $("conn"),
    sound: $("sound"),
    meName: $("me-name"),
    meRole: $("me-role"),
    logout: $("logout"),
    alert: $("alert-banner"),
    alertText: $("alert-text"),
    alertOpen: $("alert-open"),
    alertDismiss: $("alert-dismiss"),
    workspace: $("workspace"),
    filterQueue: $("filter-queue"),
    filterStatus: $("filter-status"),
    queueCount: $("queue-count"),
    queueHours: $("queue-hours"),
    listError: $("list-error"),
    list: $("case-list"),
    listEmpty: $("case-list-empty"),
    placeholder: $("case-placeholder"),
    caseView: $("case-view"),
    caseBack: $("case-back"),
    caseSeverity: $("case-severity"),
    caseCategory: $("case-category"),
    caseStatus: $("case-status"),
    caseSla: $("case-sla"),
    caseQueue: $("case-queue"),
    caseArea: $("case-area"),
    caseChannel: $("case-channel"),
    caseCreated: $("case-created"),
    caseDeadline: $("case-deadline"),
    caseFirstReply: $("case-first-reply"),
    caseSignals: $("case-signals"),
    claimBtn: $("claim-btn"),
    claimState: $("claim-state"),
    claimError: $("claim-error"),
    transcript: $("transcript"),
    replyForm: $("reply-form"),
    replyInput: $("reply-input"),
    replySend: $("reply-send"),
    replyHint: $("reply-hint"),
    replyError: $("reply-error"),
    noteForm: $("note-form"),
    noteInput: $("note-input"),
    noteError: $("note-error"),
    reportCard: $("report-card"),
    reportCount: $("report-count"),
    reportList: $("report-list"),
    reportForm: $("report-form"),
    reportTo: $("report-to"),
    reportAt: $("report-at"),
    reportRef: $("report-ref"),
    reportError: $("report-error"),
    reportHint: $("report-hint"),
    transferCard: $("transfer-card"),
    transferForm: $("transfer-form"),
    transferQueue: $("transfer-queue"),
    transferReason: $("transfer-reason"),
    transferError: $("transfer-error"),
    transferHint: $("transfer-hint"),
    closeCard: $("close-card"),
    closeForm: $("close-form"),
    closeOutcome: $("close-outcome"),
    closeNote: $("close-note"),
    closeError: $("close-error"),
    closeHint: $("close-hint"),
    closedInfo: $("closed-info"),
    eventLog: $("event-log"),
    showViews: $("show-views"),
  };

  // ------------------------------------------------------------------ state

  const state = {
    /** { user, csrfToken } while signed in. */
    session: null,
    /** Queue id → { id, name, openNow, nextOpenAt }. */
    queues: new Map(),
    /** Case id → CaseSummary: every case this console knows about. */
    cases: new Map(),
    /** Case ids that arrived live and have not been opened yet. */
    fresh: new Set(),
    /** Event seqs already applied (live and replayed frames overlap). */
    seen: new Set(),
    /** Highest event seq seen: where a reconnect resumes from. */
    lastSeq: 0,
    /** The case open on the right: { id, detail } (detail as GET /api/staff/cases/:id answers). */
    current: null,
    /** Case ids whose deadline passing has already been announced (banner + beep). */
    alerted: new Set(),
    /** Overdue case ids the user pressed 知道了 for; a new breach shows the banner again. */
    dismissed: new Set(),
    /** Server clock minus this clock, from response Date headers (countdowns use server time). */
    skewMs: 0,
    /** The case list has been loaded once this session (later loads may bring news). */
    loaded: false,
    /** Bumped on login/logout so late answers for a previous session are dropped. */
    epoch: 0,
  };

  // ------------------------------------------------------------------ small helpers

  function make(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  function show(node, visible) {
    node.hidden = !visible;
  }

  function now() {
    return Date.now() + state.skewMs;
  }

  function ms(iso) {
    if (!iso) return Number.NaN;
    return new Date(iso).getTime();
  }

  const pad = (n) => String(n).padStart(2, "0");

  /** mm:ss under an hour, h:mm:ss above (a 24 h deadline would read oddly as 1439:59). */
  function clock(totalMs) {
    const s = Math.max(0, Math.floor(totalMs / 1000));
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    const sec = s % 60;
    return h > 0 ? `${h}:${pad(m)}:${pad(sec)}` : `${pad(m)}:${pad(sec)}`;
  }

  /** Waiting time in words: 45秒, 3分12秒, 2小时5分, 1天3小时. */
  function duration(totalMs) {
    const s = Math.max(0, Math.floor(totalMs / 1000));
    if (s < 60) return `${s}秒`;
    const m = Math.floor(s / 60);
    if (m < 60) return `${m}分${pad(s % 60)}秒`;
    const h = Math.floor(m / 60);
    if (h < 24) return `${h}小时${m % 60}分`;
    return `${Math.floor(h / 24)}天${h % 24}小时`;
  }

  // Staff work in Jiyuan: times are Beijing time whatever the workstation's zone.
  const TIME_FMT = new Intl.DateTimeFormat("zh-CN", {
    timeZone: "Asia/Shanghai",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hour12: false,
  });
  const DATE_FMT = new Intl.DateTimeFormat("zh-CN", { timeZone: "Asia/Shanghai", month: "numeric", day: "numeric" });

  const SHORT_FMT = new Intl.DateTimeFormat("zh-CN", {
    timeZone: "Asia/Shanghai",
    month: "numeric",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    hour12: false,
  });

  function timeText(iso) {
    const t = ms(iso);
    if (Number.isNaN(t)) return "—";
    const d = new Date(t);
    const today = DATE_FMT.format(new Date(now())) === DATE_FMT.format(d);
    return today ? TIME_FMT.format(d) : `${DATE_FMT.format(d)} ${TIME_FMT.format(d)}`;
  }

  function queueName(id, fallback) {
    const q = state.queues.get(id);
    return q?.name || fallback || QUEUE_NAMES[id] || id || "—";
  }

  /** Who did it: a staff member, or (no actor) the resident writing in, or the system. */
  function person(actor, type) {
    if (!actor) return type === "created" || type === "resident_message" || type === "reopened" ? "求助人" : "系统";
    if (state.session && actor.id === state.session.user.id) return `${actor.displayName}（我）`;
    return actor.displayName || "工作人员";
  }

  function isMine(c) {
    return !!(c?.claimedBy && state.session && c.claimedBy.id === state.session.user.id);
  }

  /** Whether this user still works the case's queue (a transfer can take it away). */
  function canSeeQueue(queue) {
    return isSupervisor() || !!state.session?.user.queues.includes(queue);
  }

  function isOpen(c) {
    return c && c.status !== "closed";
  }

  /**
   * The deadline is for claiming: a case is overdue while nobody has claimed
   * it and its deadline has passed. The server's flag is trusted when set; the
   * local clock turns a case overdue the moment its deadline passes.
   */
  function isOverdue(c) {
    if (c?.status !== "new" || c.claimedBy) return false;
    if (c.overdue === true) return true;
    const d = ms(c.deadline);
    return !Number.isNaN(d) && now() >= d;
  }

  /** When the case entered its queue (creation, or its latest reopen or transfer): deadline less the SLA. */
  function waitingSince(c) {
    const d = ms(c.deadline);
    const sla = SLA_MS[c.severity];
    return Number.isNaN(d) || !sla ? ms(c.createdAt) : d - sla;
  }

  function severityRank(c) {
    const s = SEVERITY[c.severity];
    return s ? s.rank : 9;
  }

  function setError(node, message) {
    node.textContent = message || "";
  }

  // ------------------------------------------------------------------ HTTP

  class ApiError extends Error {
    constructor(code, message, status) {
      super(message);
      this.code = code;
      this.status = status;
    }
  }

  function noteServerDate(res) {
    const header = res.headers.get("date");
    if (!header) return;
    const server = Date.parse(header);
    if (Number.isNaN(server)) return;
    const skew = server - Date.now();
    // The header has one-second resolution: only a real difference is worth correcting.
    state.skewMs = Math.abs(skew) > 2000 ? skew : 0;
  }

  async function api(method, path, body) {
    const epoch = state.epoch;
    const headers = { accept: "application/json" };
    const init = { method, headers, credentials: "same-origin", cache: "no-store" };
    if (method !== "GET" && state.session) headers["x-csrf-token"] = state.session.csrfToken;
    // Empty POSTs (logout, claim) go without a content type: the server refuses an empty JSON body.
    if (body !== undefined) {
      headers["content-type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), HTTP_TIMEOUT_MS);
    init.signal = controller.signal;
    let res;
    try {
      res = await fetch(path, init);
    } catch (_e) {
      throw new ApiError("ERR_NETWORK", MSG_NETWORK, 0);
    } finally {
      clearTimeout(timer);
    }
    noteServerDate(res);
    let data = null;
    if (res.status !== 204) {
      try {
        data = await res.json();
      } catch (_e) {
        data = null;
      }
    }
    if (!res.ok) {
      const code = data && typeof data.code === "string" ? data.code : `HTTP_${res.status}`;
      const message =
        data && typeof data.message === "string" ? data.message : `请求失败（${res.status}），请稍后再试。`;
      const err = new ApiError(code, message, res.status);
      const current = epoch === state.epoch && state.session && path !== "/api/staff/login";
      if (current && res.status === 401) sessionLost(MSG_SESSION_ENDED);
      // This page always sends its token: a mismatch means the browser's session changed
      // (signed in again in another tab), so this page's view of who is signed in is stale.
      if (current && code === "ERR_CSRF") sessionLost(MSG_SESSION_CHANGED);
      throw err;
    }
    return data;
  }

  // ------------------------------------------------------------------ sound

  // Browsers only let a page make sound after the user has interacted with it:
  // the AudioContext is made (or resumed) on the first click or key press.
  let audio = null;

  function unlockAudio() {
    const Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return;
    try {
      if (!audio) audio = new Ctx();
      if (audio.state === "suspended") audio.resume().then(renderSound, renderSound);
    } catch (_e) {
      audio = null;
    }
    renderSound();
  }

  function soundReady() {
    return !!audio && audio.state === "running";
  }

  function renderSound() {
    const on = soundReady();
    el.sound.textContent = on ? "声音提醒已开启" : "点此开启声音提醒";
    el.sound.classList.toggle("sound-on", on);
    el.sound.classList.toggle("sound-off", !on);
  }

  /** Short tones: two high ones for a missed deadline, one softer for a new case. */
  function beep(kind) {
    if (!soundReady()) return;
    const tones = kind === "breach" ? [0, 0.28] : [0];
    const freq = kind === "breach" ? 880 : 660;
    const volume = kind === "breach" ? 0.25 : 0.12;
    for (const offset of tones) {
      const start = audio.currentTime + offset;
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.type = "sine";
      osc.frequency.value = freq;
      // A quick ramp avoids the click of a square start/stop.
      gain.gain.setValueAtTime(0.0001, start);
      gain.gain.exponentialRampToValueAtTime(volume, start + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.2);
      osc.connect(gain);
      gain.connect(audio.destination);
      osc.start(start);
      osc.stop(start + 0.22);
    }
  }

  // ------------------------------------------------------------------ views

  function showBoot() {
    show(el.boot, true);
    show(el.loginView, false);
    show(el.consoleView, false);
  }

  function showLogin(notice) {
    show(el.boot, false);
    show(el.consoleView, false);
    show(el.loginView, true);
    el.loginNotice.textContent = notice || "";
    show(el.loginNotice, !!notice);
    el.loginSubmit.disabled = false;
    el.loginPass.value = "";
    el.loginUser.focus();
  }

  function showConsole() {
    show(el.boot, false);
    show(el.loginView, false);
    show(el.consoleView, true);
  }

  // ------------------------------------------------------------------ login / logout

  el.loginForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const username = el.loginUser.value.trim();
    const password = el.loginPass.value;
    if (!username || !password) {
      setError(el.loginError, "请输入用户名和密码。");
      return;
    }
    setError(el.loginError, "");
    el.loginSubmit.disabled = true;
    el.loginSubmit.textContent = "正在登录…";
    try {
      const data = await api("POST", "/api/staff/login", { username, password });
      el.loginPass.value = "";
      await startSession(data);
    } catch (err) {
      setError(el.loginError, err.message);
      el.loginPass.value = "";
      el.loginPass.focus();
    } finally {
      el.loginSubmit.disabled = false;
      el.loginSubmit.textContent = "登录";
    }
  });

  el.logout.addEventListener("click", async () => {
    el.logout.disabled = true;
    const session = state.session;
    stopLive();
    try {
      if (session) await api("POST", "/api/staff/logout");
    } catch (_e) {
      // The session ends here anyway: the page forgets it and the cookie dies with it server-side or by timeout.
    }
    el.logout.disabled = false;
    endSession();
    showLogin("已退出登录。");
  });

  /** Forgets everything the console showed: a shared workstation must not keep case data on screen. */
  function endSession() {
    state.epoch += 1;
    stopLive();
    state.session = null;
    state.cases.clear();
    state.fresh.clear();
    state.seen.clear();
    state.alerted.clear();
    state.dismissed.clear();
    state.lastSeq = 0;
    state.loaded = false;
    state.current = null;
    clear(el.list);
    el.queueCount.textContent = "";
    el.queueHours.textContent = "";
    clear(el.transcript);
    clear(el.eventLog);
    closeCaseView();
    show(el.alert, false);
    el.replyInput.value = "";
    el.noteInput.value = "";
    document.title = BASE_TITLE;
    if (location.hash) history.replaceState(null, "", location.pathname);
  }

  function sessionLost(notice) {
    endSession();
    showLogin(notice);
  }

  async function startSession(data) {
    state.epoch += 1;
    state.session = { user: data.user, csrfToken: data.csrfToken };
    el.meName.textContent = data.user.displayName;
    el.meRole.textContent = ROLE[data.user.role] || data.user.role;
    showConsole();
    renderSound();
    // The list is loaded before the socket opens: its newest event is where `resume` starts.
    await Promise.all([loadQueues(), loadCases()]);
    renderQueueFilter();
    startLive();
    const fromHash = /^#case=([A-Za-z0-9_-]{1,64})$/.exec(location.hash);
    if (fromHash) openCase(fromHash[1]);
  }

  // ------------------------------------------------------------------ queues and the list

  function isSupervisor() {
    const role = state.session?.user.role;
    return role === "supervisor" || role === "admin";
  }

  /** The queues this user works: all of them for supervisors, their memberships otherwise. */
  function myQueueIds() {
    if (isSupervisor()) return [...state.queues.keys()];
    return state.session ? state.session.user.queues.slice() : [];
  }

  async function loadQueues() {
    state.queues.clear();
    for (const [id, name] of Object.entries(QUEUE_NAMES)) state.queues.set(id, { id, name });
    try {
      const data = await api("GET", "/api/staff/queues");
      const list = Array.isArray(data) ? data : data && Array.isArray(data.queues) ? data.queues : [];
      for (const q of list) if (q && typeof q.id === "string") state.queues.set(q.id, q);
    } catch (_e) {
      // Names fall back to the built-in list; the cases themselves still load.
    }
  }

  function renderQueueFilter() {
    const selected = el.filterQueue.value;
    clear(el.filterQueue);
    el.filterQueue.appendChild(new Option(isSupervisor() ? "全部队列" : "我的全部队列", ""));
    for (const id of myQueueIds()) {
      const open = [...state.cases.values()].filter((c) => c.queue === id && isOpen(c)).length;
      el.filterQueue.appendChild(new Option(`${queueName(id)}（${open}）`, id));
    }
    el.filterQueue.value = selected;
    if (el.filterQueue.value !== selected) el.filterQueue.value = "";
    renderQueueHours();
  }

  /** Which of the shown queues are outside staffed hours, grouped by when staff are next on duty. */
  function renderQueueHours() {
    const ids = el.filterQueue.value ? [el.filterQueue.value] : myQueueIds();
    const closed = ids.map((id) => state.queues.get(id)).filter((q) => q && q.openNow === false);
    if (closed.length === 0) {
      el.queueHours.textContent = "";
      return;
    }
    const byTime = new Map();
    for (const q of closed) {
      const when = q.nextOpenAt ? SHORT_FMT.format(new Date(q.nextOpenAt)) : "";
      if (!byTime.has(when)) byTime.set(when, []);
      byTime.get(when).push(q.name);
    }
    const parts = [];
    for (const [when, names] of byTime) {
      const who = ids.length > 1 && names.length === ids.length ? "全部队列" : names.join("、");
      parts.push(when ? `${who}（${when} 起）` : who);
    }
    el.queueHours.textContent = `非值班时间：${parts.join("；")}`;
  }

  /**
   * Open cases and the most recent closed ones, in every queue this user sees;
   * the filters then work on this copy (kept live), so alerts cover every
   * queue whatever the list shows.
   */
  async function loadCases() {
    const epoch = state.epoch;
    try {
      const data = await api("GET", "/api/staff/cases?status=all");
      if (epoch !== state.epoch) return;
      const listed = new Set();
      let arrived = false;
      for (const c of data?.cases || []) {
        // After the first load, an open case seen for the first time came in while the
        // line was down (the replayed event may come second): it is news all the same.
        if (state.loaded && !state.cases.has(c.id) && isOpen(c)) {
          state.fresh.add(c.id);
          arrived = true;
        }
        upsertCase(c);
        listed.add(c.id);
      }
      state.loaded = true;
      if (arrived) beep("new");
      // An open case the server no longer lists has left this user's queues.
      for (const [id, c] of state.cases) {
        if (!listed.has(id) && isOpen(c) && state.current?.id !== id) state.cases.delete(id);
      }
      setError(el.listError, "");
    } catch (err) {
      if (epoch === state.epoch) setError(el.listError, `案件列表没有更新：${err.message}`);
    }
    renderList();
    renderQueueFilter();
  }

  /** Keeps the newer of two copies of a case (by lastEventSeq). */
  function upsertCase(c) {
    if (!c || typeof c.id !== "string") return;
    const known = state.cases.get(c.id);
    if (known && (known.lastEventSeq || 0) > (c.lastEventSeq || 0)) return;
    state.cases.set(c.id, c);
    if (typeof c.lastEventSeq === "number" && c.lastEventSeq > state.lastSeq) state.lastSeq = c.lastEventSeq;
  }

  function visibleCases() {
    const status = el.filterStatus.value;
    const queue = el.filterQueue.value;
    const list = [...state.cases.values()].filter((c) => {
      if (queue && c.queue !== queue) return false;
      if (!canSeeQueue(c.queue) && state.current?.id !== c.id) return false;
      if (status === "open") return c.status !== "closed";
      if (status === "closed") return c.status === "closed";
      return true;
    });
    // Most severe first; within a severity, whoever has waited longest.
    list.sort((a, b) => {
      const closedA = a.status === "closed" ? 1 : 0;
      const closedB = b.status === "closed" ? 1 : 0;
      if (closedA !== closedB) return closedA - closedB;
      if (closedA) return ms(b.closedAt || b.createdAt) - ms(a.closedAt || a.createdAt);
      return severityRank(a) - severityRank(b) || waitingSince(a) - waitingSince(b) || (a.id < b.id ? -1 : 1);
    });
    return list;
  }

  function badge(severity) {
    const s = SEVERITY[severity];
    const node = make("span", `badge badge-${SEVERITY[severity] ? severity : "unknown"}`, s ? s.short : severity);
    if (s) node.title = s.label;
    return node;
  }

  function claimText(c) {
    if (c.status === "closed") return "已结案";
    if (!c.claimedBy) return "未认领";
    return isMine(c) ? "我已认领" : `已被${c.claimedBy.displayName}认领`;
  }

  function renderList() {
    const cases = visibleCases();
    const focused = document.activeElement?.closest("#case-list .case-row");
    const focusId = focused ? focused.dataset.caseId : null;
    clear(el.list);
    for (const c of cases) el.list.appendChild(renderRow(c));
    const status = el.filterStatus.value;
    el.listEmpty.textContent =
      status === "closed" ? "没有已结案的案件" : status === "all" ? "没有案件" : "当前没有待处理的案件";
    show(el.listEmpty, cases.length === 0);
    const open = [...state.cases.values()].filter(isOpen);
    el.queueCount.textContent = `待处理 ${open.length}　未认领 ${open.filter((c) => c.status === "new").length}`;
    if (focusId) {
      const again = el.list.querySelector(`.case-row[data-case-id="${CSS.escape(focusId)}"]`);
      if (again) again.focus();
    }
    tick();
  }

  function renderRow(c) {
    const li = make("li", "case-item");
    const row = make("button", "case-row");
    row.type = "button";
    row.dataset.caseId = c.id;
    row.dataset.status = c.status;
    if (state.fresh.has(c.id)) row.classList.add("case-row-new");
    if (state.current && state.current.id === c.id) {
      row.classList.add("case-row-selected");
      row.setAttribute("aria-current", "true");
    }
    row.classList.add(`case-row-${SEVERITY[c.severity] ? c.severity : "unknown"}`);

    const top = make("span", "row-top");
    top.appendChild(badge(c.severity));
    top.appendChild(make("span", "row-category", CATEGORY[c.category] || c.category));
    if (state.fresh.has(c.id)) top.appendChild(make("span", "row-new-tag", "新"));
    const sla = make("span", "sla row-sla");
    sla.dataset.slaFor = c.id;
    top.appendChild(sla);

    const mid = make("span", "row-meta");
    const area = c.area || "地区未知";
    mid.appendChild(make("span", "row-area", area));
    mid.appendChild(make("span", "row-sep", "·"));
    mid.appendChild(make("span", "row-channel", CHANNEL[c.channel] || c.channel || "—"));
    mid.appendChild(make("span", "row-sep", "·"));
    mid.appendChild(make("span", "row-queue", queueName(c.queue, c.queueName)));

    const bottom = make("span", "row-bottom");
    const waited = make("span", "row-wait");
    waited.dataset.waitFor = c.id;
    bottom.appendChild(waited);
    const claimed = make("span", `row-claim${c.claimedBy ? (isMine(c) ? " row-claim-mine" : " row-claim-other") : ""}`);
    claimed.textContent = claimText(c);
    bottom.appendChild(claimed);

    row.appendChild(top);
    row.appendChild(mid);
    row.appendChild(bottom);
    row.addEventListener("click", () => openCase(c.id));
    li.appendChild(row);
    return li;
  }

  el.filterQueue.addEventListener("change", () => {
    renderQueueHours();
    renderList();
  });
  el.filterStatus.addEventListener("change", renderList);

  // ------------------------------------------------------------------ countdowns and alerts

  const BASE_TITLE = document.title;

  /** Countdown to the claim deadline, how long ago it passed, or how it was met. */
  function slaOf(c) {
    if (!c || c.status === "closed") return { text: "已结案", cls: "sla-done" };
    const d = ms(c.deadline);
    if (c.claimedBy || c.status === "claimed") {
      const late = !Number.isNaN(d) && ms(c.claimedAt) > d;
      return { text: late ? "超时后认领" : "已认领", cls: late ? "sla-late" : "sla-done" };
    }
    if (Number.isNaN(d)) return { text: "", cls: "sla-none" };
    const left = d - now();
    // The server may call it overdue a moment before this clock does.
    if (isOverdue(c)) return { text: left > 0 ? "已超时" : `超时 ${clock(-left)}`, cls: "sla-overdue" };
    // The last fifth of the time (last 36 s of 3 min, 3 of 15 min) is shown as a warning.
    const total = SLA_MS[c.severity] || d - ms(c.createdAt);
    const warn = total > 0 ? left <= total / 5 : left <= 60_000;
    return { text: `剩余 ${clock(left)}`, cls: warn ? "sla-warn" : "sla-ok" };
  }

  function paintSla(node, c) {
    const s = slaOf(c);
    node.textContent = s.text;
    node.className = node.className.replace(/\bsla-(ok|warn|overdue|done|late|none)\b/g, "").trim();
    node.classList.add(s.cls);
  }

  function tick() {
    if (!state.session) return;
    for (const node of el.list.querySelectorAll("[data-sla-for]")) {
      const c = state.cases.get(node.dataset.slaFor);
      if (c) paintSla(node, c);
    }
    for (const node of el.list.querySelectorAll("[data-wait-for]")) {
      const c = state.cases.get(node.dataset.waitFor);
      if (!c) continue;
      const since = waitingSince(c);
      const claimedAt = ms(c.claimedAt);
      if (c.status === "closed") node.textContent = `创建于 ${timeText(c.createdAt)}`;
      else if (c.claimedBy && claimedAt >= since) node.textContent = `等了 ${duration(claimedAt - since)} 被认领`;
      else node.textContent = `已等待 ${duration(now() - since)}`;
    }
    for (const row of el.list.querySelectorAll(".case-row")) {
      row.classList.toggle("case-row-overdue", isOverdue(state.cases.get(row.dataset.caseId)));
    }
    if (state.current) {
      const c = state.cases.get(state.current.id) || state.current.detail.case;
      paintSla(el.caseSla, c);
    }
    checkAlerts();
  }

  /** Overdue open cases, the longest overdue first. */
  function overdueCases() {
    return [...state.cases.values()]
      .filter((c) => isOverdue(c) && canSeeQueue(c.queue))
      .sort((a, b) => severityRank(a) - severityRank(b) || ms(a.deadline) - ms(b.deadline));
  }

  function checkAlerts() {
    const overdue = overdueCases();
    let fresh = false;
    for (const c of overdue) {
      if (!state.alerted.has(c.id)) {
        state.alerted.add(c.id);
        fresh = true;
      }
    }
    // A case that is no longer overdue (claimed, replied, closed) may alert again if it slips later.
    const ids = new Set(overdue.map((c) => c.id));
    for (const id of state.alerted) if (!ids.has(id)) state.alerted.delete(id);
    for (const id of state.dismissed) if (!ids.has(id)) state.dismissed.delete(id);
    if (fresh) beep("breach");

    const undismissed = overdue.filter((c) => !state.dismissed.has(c.id));
    if (undismissed.length === 0) {
      show(el.alert, false);
    } else {
      const first = undismissed[0];
      const what = `${CATEGORY[first.category] || first.category}（${SEVERITY[first.severity]?.short || first.severity}，${first.area || "地区未知"}）`;
      const late = clock(now() - ms(first.deadline));
      el.alertText.textContent =
        undismissed.length === 1
          ? `超时提醒：${what}已超过认领时限 ${late}，${first.claimedBy ? `由${first.claimedBy.displayName}处理中` : "还没有人认领"}。`
          : `超时提醒：${undismissed.length} 个案件已超过认领时限，最急的是${what}，已超时 ${late}。`;
      el.alertOpen.dataset.caseId = first.id;
      show(el.alert, true);
    }
    document.title = overdue.length ? `（${overdue.length}个超时）${BASE_TITLE}` : BASE_TITLE;
  }

  el.alertOpen.addEventListener("click", () => {
    if (el.alertOpen.dataset.caseId) openCase(el.alertOpen.dataset.caseId);
  });
  el.alertDismiss.addEventListener("click", () => {
    for (const c of overdueCases()) state.dismissed.add(c.id);
    show(el.alert, false);
  });

  setInterval(tick, TICK_MS);

  // ------------------------------------------------------------------ live updates (/ws/staff)

  const live = {
    sock: null,
    open: false,
    stopped: true,
    backoff: BACKOFF_START_MS,
    reconnectTimer: 0,
    pingTimer: 0,
    pongTimer: 0,
    connectedOnce: false,
  };

  function setConn(kind, text) {
    el.conn.className = `conn conn-${kind}`;
    el.conn.textContent = text;
    el.conn.dataset.state = kind;
  }

  function startLive() {
    live.stopped = false;
    live.backoff = BACKOFF_START_MS;
    live.connectedOnce = false;
    connectLive();
  }

  function stopLive() {
    live.stopped = true;
    clearTimeout(live.reconnectTimer);
    live.reconnectTimer = 0;
    const sock = live.sock;
    if (sock) dropSocket(sock, true);
    setConn("down", "未连接");
  }

  function connectLive() {
    if (live.stopped || live.sock) return;
    const url = `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}/ws/staff`;
    let sock;
    try {
      sock = new WebSocket(url);
    } catch (_e) {
      scheduleReconnect();
      return;
    }
    live.sock = sock;
    setConn("connecting", live.connectedOnce ? "正在重新连接…" : "正在连接…");
    sock.onopen = () => {
      if (live.sock !== sock) return;
      live.open = true;
      live.backoff = BACKOFF_START_MS;
      setConn("up", "实时更新中");
      // Whatever happened while the socket was down is replayed from here.
      send(sock, { type: "resume", after: state.lastSeq });
      live.pingTimer = setInterval(() => ping(sock), PING_INTERVAL_MS);
      if (live.connectedOnce) loadCases();
      live.connectedOnce = true;
    };
    sock.onmessage = (event) => {
      if (live.sock !== sock) return;
      clearTimeout(live.pongTimer);
      onFrame(event.data);
    };
    sock.onclose = (event) => {
      if (live.sock !== sock) return;
      dropSocket(sock, false);
      // 4401/1008: the server ended the session behind this socket.
      if (event.code === 4401 || event.code === 4403 || event.code === 1008) checkSessionThenReconnect();
      else scheduleReconnect();
    };
    sock.onerror = () => {
      // onclose follows and decides what to do.
    };
  }

  function send(sock, frame) {
    try {
      sock.send(JSON.stringify(frame));
    } catch (_e) {
      // A dead socket is noticed by onclose or the pong timeout.
    }
  }

  function ping(sock) {
    if (live.sock !== sock || !live.open) return;
    send(sock, { type: "ping" });
    clearTimeout(live.pongTimer);
    live.pongTimer = setTimeout(() => {
      if (live.sock !== sock) return;
      dropSocket(sock, false);
      scheduleReconnect();
    }, PONG_TIMEOUT_MS);
  }

  function dropSocket(sock, quiet) {
    sock.onopen = null;
    sock.onmessage = null;
    sock.onclose = null;
    sock.onerror = null;
    try {
      sock.close(1000);
    } catch (_e) {
      // already closed
    }
    clearInterval(live.pingTimer);
    clearTimeout(live.pongTimer);
    if (live.sock === sock) {
      live.sock = null;
      live.open = false;
    }
    if (!quiet && !live.stopped) setConn("down", "实时连接已断开，正在重连…");
  }

  function scheduleReconnect() {
    if (live.stopped || live.reconnectTimer) return;
    const delay = Math.round(live.backoff * (0.5 + Math.random() * 0.5));
    live.backoff = Math.min(live.backoff * 2, BACKOFF_MAX_MS);
    live.reconnectTimer = setTimeout(() => {
      live.reconnectTimer = 0;
      checkSessionThenReconnect();
    }, delay);
  }

  /** A socket refused for a dead session looks like any other failure: ask before retrying. */
  async function checkSessionThenReconnect() {
    if (live.stopped) return;
    try {
      const data = await api("GET", "/api/staff/me");
      if (state.session && data?.csrfToken) state.session.csrfToken = data.csrfToken;
      connectLive();
    } catch (err) {
      // 401 has already returned to the login form (see api()); anything else is retried.
      if (err.status !== 401) scheduleReconnect();
    }
  }

  // Back online or back to the tab: reconnect now rather than after the backoff.
  window.addEventListener("online", () => {
    if (!live.stopped && !live.sock) {
      clearTimeout(live.reconnectTimer);
      live.reconnectTimer = 0;
      live.backoff = BACKOFF_START_MS;
      checkSessionThenReconnect();
    }
  });

  function onFrame(raw) {
    let frame;
    try {
      frame = JSON.parse(raw);
    } catch (_e) {
      return;
    }
    if (!frame || typeof frame !== "object") return;
    if (frame.type === "case_event") applyCaseEvent(frame);
    else if (frame.type === "hello" && frame.staff && state.session && frame.staff.id !== state.session.user.id) {
      sessionLost(MSG_SESSION_CHANGED);
    }
    // hello, pong, resumed, error and unknown frames need nothing: any frame already reset the pong timer.
  }

  function applyCaseEvent(frame) {
    const seq = Number(frame.seq);
    if (Number.isFinite(seq)) {
      if (state.seen.has(seq)) return;
      state.seen.add(seq);
      if (seq > state.lastSeq) state.lastSeq = seq;
      if (state.seen.size > 5000) {
        for (const s of state.seen) if (s < state.lastSeq - 2000) state.seen.delete(s);
      }
    }
    const event = frame.event || {};
    const c = frame.case;
    const known = c && state.cases.has(c.id);
    if (c) upsertCase(c);
    // Replayed after a reconnect, a case may already be closed: only open ones are news.
    if (c && (event.type === "created" || event.type === "reopened") && !known && isOpen(c)) {
      state.fresh.add(c.id);
      beep("new");
    }
    // A case moved to a queue this user does not work leaves the list.
    if (c && event.type === "transferred" && !canSeeQueue(c.queue) && state.current?.id !== c.id) {
      state.cases.delete(c.id);
    }
    renderList();
    renderQueueFilter();
    if (c && state.current && state.current.id === c.id) onCurrentCaseEvent(seq, event, c);
  }

  // ------------------------------------------------------------------ the case view

  let detailRequest = 0;

  async function openCase(id) {
    if (!state.session) return;
    const epoch = state.epoch;
    const request = ++detailRequest;
    state.fresh.delete(id);
    const switching = !state.current || state.current.id !== id;
    if (switching) {
      for (const input of [el.replyInput, el.noteInput, el.transferReason, el.closeNote, el.reportRef, el.reportTo]) {
        input.value = "";
      }
      for (const node of [
        el.claimError,
        el.replyError,
        el.noteError,
        el.transferError,
        el.closeError,
        el.reportError,
      ]) {
        setError(node, "");
      }
      el.closeOutcome.value = "";
    }
    let data;
    try {
      data = await api("GET", `/api/staff/cases/${encodeURIComponent(id)}`);
    } catch (err) {
      if (epoch !== state.epoch || request !== detailRequest) return;
      if (err.status === 404 || err.status === 403) {
        state.cases.delete(id);
        renderList();
      }
      setError(el.listError, `无法打开案件：${err.message}`);
      return;
    }
    if (epoch !== state.epoch || request !== detailRequest) return;
    setError(el.listError, "");
    showDetail(data, switching);
  }

  function showDetail(data, switching) {
    if (!data?.case) return;
    state.current = { id: data.case.id, detail: data };
    upsertCase(data.case);
    history.replaceState(null, "", `#case=${data.case.id}`);
    show(el.placeholder, false);
    show(el.caseView, true);
    el.workspace.classList.add("has-case");
    renderDetail();
    renderList();
    if (switching) {
      el.caseView.scrollTop = 0;
      el.caseCategory.focus({ preventScroll: true });
    }
  }

  function closeCaseView() {
    state.current = null;
    show(el.caseView, false);
    show(el.placeholder, true);
    el.workspace.classList.remove("has-case");
    if (location.hash) history.replaceState(null, "", location.pathname);
  }

  el.caseBack.addEventListener("click", () => {
    closeCaseView();
    renderList();
  });

  /** The summary shown for the open case: the list's copy when newer (it is updated live). */
  function currentCase() {
    const detail = state.current.detail.case;
    const listed = state.cases.get(detail.id);
    if (listed && (listed.lastEventSeq || 0) > (detail.lastEventSeq || 0)) return { ...detail, ...listed };
    return detail;
  }

  function renderDetail() {
    if (!state.current) return;
    const c = currentCase();
    const { transcript, events } = state.current.detail;

    el.caseSeverity.className = `badge badge-${SEVERITY[c.severity] ? c.severity : "unknown"}`;
    el.caseSeverity.textContent = SEVERITY[c.severity] ? SEVERITY[c.severity].label : c.severity;
    el.caseCategory.textContent = CATEGORY[c.category] || c.category;
    el.caseStatus.textContent = STATUS[c.status] || c.status;
    el.caseStatus.className = `status-tag status-${c.status}`;
    paintSla(el.caseSla, c);
    el.caseQueue.textContent = queueName(c.queue, c.queueName);
    el.caseArea.textContent = c.area || "未知";
    el.caseChannel.textContent = CHANNEL[c.channel] || c.channel || "—";
    el.caseCreated.textContent = timeText(c.createdAt);
    el.caseDeadline.textContent = c.deadline ? timeText(c.deadline) : "—";
    el.caseFirstReply.textContent = c.firstStaffReplyAt ? timeText(c.firstStaffReplyAt) : "尚未回复";

    clear(el.caseSignals);
    const signals = Array.isArray(c.signals) ? c.signals : [];
    if (signals.length === 0) el.caseSignals.appendChild(make("li", "signal signal-none", "无"));
    const shown = new Set();
    for (const id of signals) {
      const label = SIGNAL_LABEL[id] || id;
      if (shown.has(label)) continue;
      shown.add(label);
      const li = make("li", "signal", label);
      li.title = id;
      li.dataset.signal = id;
      el.caseSignals.appendChild(li);
    }

    renderClaim(c);
    renderTranscript(transcript || []);
    renderActions(c);
    renderEvents(events || []);
  }

  function renderClaim(c) {
    const closed = c.status === "closed";
    const gone = !canSeeQueue(c.queue);
    show(el.claimBtn, !closed && !c.claimedBy && !gone);
    el.claimState.className = "claim-state";
    if (gone) {
      el.claimState.textContent = `已转交到${queueName(c.queue, c.queueName)}，你不在这个队列，不能再处理。`;
      el.claimState.classList.add("claim-other");
    } else if (closed) {
      el.claimState.textContent = `已结案${c.closedAt ? `（${timeText(c.closedAt)}）` : ""}${c.outcome ? `：${OUTCOME_LABEL[c.outcome] || c.outcome}` : ""}`;
      el.claimState.classList.add("claim-closed");
    } else if (!c.claimedBy) {
      el.claimState.textContent = "还没有人认领。认领后请尽快回复求助人。";
      el.claimState.classList.add("claim-none");
    } else if (isMine(c)) {
      el.claimState.textContent = `由你负责${c.claimedAt ? `（${timeText(c.claimedAt)} 认领）` : ""}`;
      el.claimState.classList.add("claim-mine");
    } else {
      el.claimState.textContent = `已被${c.claimedBy.displayName}认领${c.claimedAt ? `（${timeText(c.claimedAt)}）` : ""}`;
      el.claimState.classList.add("claim-other");
    }
  }

  function renderTranscript(messages) {
    const nearBottom = el.transcript.scrollHeight - el.transcript.scrollTop - el.transcript.clientHeight < 40;
    clear(el.transcript);
    if (messages.length === 0) el.transcript.appendChild(make("li", "transcript-empty", "没有对话记录"));
    for (const m of messages) {
      const role = TRANSCRIPT_WHO[m.role] ? m.role : "bot";
      const li = make("li", `bubble-row bubble-${role}`);
      li.dataset.role = role;
      const who = make("p", "bubble-who");
      const author = m.author && typeof m.author === "object" ? m.author.displayName : m.author;
      who.textContent = role === "staff" && author ? `${TRANSCRIPT_WHO.staff} · ${author}` : TRANSCRIPT_WHO[role];
      who.appendChild(make("time", "bubble-time", timeText(m.at)));
      li.appendChild(who);
      li.appendChild(make("p", "bubble-text", typeof m.text === "string" ? m.text : ""));
      el.transcript.appendChild(li);
    }
    if (nearBottom || el.transcript.dataset.caseId !== state.current.id) {
      el.transcript.scrollTop = el.transcript.scrollHeight;
    }
    el.transcript.dataset.caseId = state.current.id;
  }

  /** Enables a form's controls or not, with the reason shown next to its button. */
  function setFormEnabled(form, enabled, hintNode, reason) {
    for (const control of form.querySelectorAll("input, select, textarea, button")) control.disabled = !enabled;
    hintNode.textContent = enabled ? "" : reason;
  }

  /**
   * What this user may do, as the server decides it (src/cases/case-fns.ts):
   * reply needs a claimed case and is for its claimer or a supervisor; 强制报告
   * and closing are for the claimer or a supervisor; an unclaimed case may be
   * transferred by anyone who sees it; notes by anyone.
   */
  function renderActions(c) {
    const closed = c.status === "closed";
    const mine = isMine(c);
    const sup = isSupervisor();
    const owner = c.claimedBy ? `由${c.claimedBy.displayName}负责。` : "";

    const gone = !canSeeQueue(c.queue);
    const canReply = !gone && !closed && c.status !== "new" && (mine || sup);
    el.replyForm.hidden = closed;
    el.replyInput.disabled = !canReply;
    el.replySend.disabled = !canReply;
    el.replyHint.textContent = closed
      ? "案件已结案，不能再回复。"
      : canReply
        ? `还可输入 ${MAX_TEXT - el.replyInput.value.length} 字`
        : c.status === "new"
          ? "请先认领案件再回复。"
          : owner;

    for (const control of el.noteForm.querySelectorAll("textarea, button")) control.disabled = gone;

    const canAct = !gone && !closed && (mine || sup);
    const actReason = c.status === "new" ? "认领后才能操作。" : `${owner}只有认领人或督导可以操作。`;

    show(el.reportCard, c.category === "child_harm" || (c.mandatoryReports || []).length > 0);
    renderReports(c.mandatoryReports || []);
    el.reportForm.hidden = closed;
    setFormEnabled(el.reportForm, canAct, el.reportHint, actReason);
    if (!el.reportAt.value) el.reportAt.value = localInputValue(new Date(now()));

    show(el.transferCard, !closed);
    const canTransfer = !gone && !closed && (c.status === "new" || mine || sup);
    const selected = el.transferQueue.value;
    clear(el.transferQueue);
    el.transferQueue.appendChild(new Option("请选择队列", ""));
    for (const q of state.queues.values()) {
      if (q.id !== c.queue) el.transferQueue.appendChild(new Option(q.name, q.id));
    }
    el.transferQueue.value = selected;
    setFormEnabled(el.transferForm, canTransfer, el.transferHint, `${owner}只有认领人或督导可以转交。`);

    el.closeForm.hidden = closed;
    setFormEnabled(el.closeForm, canAct, el.closeHint, actReason);
    show(el.closedInfo, closed);
    el.closedInfo.textContent = closed
      ? `处理结果：${OUTCOME_LABEL[c.outcome] || c.outcome || "—"}${c.closedAt ? `（${timeText(c.closedAt)}）` : ""}`
      : "";
    if (closed) el.closeCard.open = true;
  }

  function renderReports(reports) {
    clear(el.reportList);
    el.reportCount.textContent = reports.length ? String(reports.length) : "";
    for (const r of reports) {
      const li = make("li", "report-item");
      li.appendChild(make("p", "report-main", `已报告：${r.reportedTo}`));
      const bits = [`报告时间 ${timeText(r.reportedAt)}`];
      if (r.referenceNumber) bits.push(`编号 ${r.referenceNumber}`);
      const by = r.createdBy && typeof r.createdBy === "object" ? r.createdBy.displayName : null;
      if (by) bits.push(`记录人 ${by}`);
      li.appendChild(make("p", "report-sub", bits.join("　")));
      el.reportList.appendChild(li);
    }
  }

  /** The value a datetime-local input wants, in Beijing time. */
  function localInputValue(d) {
    const parts = Object.fromEntries(
      new Intl.DateTimeFormat("en-CA", {
        timeZone: "Asia/Shanghai",
        year: "numeric",
        month: "2-digit",
        day: "2-digit",
        hour: "2-digit",
        minute: "2-digit",
        hour12: false,
      })
        .formatToParts(d)
        .map((p) => [p.type, p.value]),
    );
    const hour = parts.hour === "24" ? "00" : parts.hour;
    return `${parts.year}-${parts.month}-${parts.day}T${hour}:${parts.minute}`;
  }

  /** A datetime-local value read as Beijing time (UTC+8, no daylight saving). */
  function fromLocalInput(value) {
    const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(value);
    if (!m) return null;
    const utc = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4] - 8, +m[5]);
    return new Date(utc).toISOString();
  }

  function eventDetail(e) {
    const d = e.data && typeof e.data === "object" ? e.data : {};
    const bits = [];
    if (e.type === "transferred") {
      const from = d.from || d.fromQueue;
      const to = d.to || d.queue || d.toQueue;
      if (from || to) bits.push(`${from ? queueName(from) : ""} → ${to ? queueName(to) : ""}`.trim());
      if (d.reason) bits.push(`原因：${d.reason}`);
    } else if (e.type === "closed") {
      if (d.outcome) bits.push(OUTCOME_LABEL[d.outcome] || d.outcome);
      if (d.note) bits.push(d.note);
    } else if (e.type === "referred" || e.type === "mandatory_report") {
      if (d.reportedTo) bits.push(`报告对象：${d.reportedTo}`);
      if (d.referenceNumber) bits.push(`编号：${d.referenceNumber}`);
    } else if (e.type === "created" || e.type === "escalated") {
      const sev = SEVERITY[d.severity];
      if (sev) bits.push(sev.label);
      if (d.category && CATEGORY[d.category]) bits.push(CATEGORY[d.category]);
    } else if (typeof d.text === "string") {
      bits.push(d.text);
    } else if (typeof d.note === "string") {
      bits.push(d.note);
    }
    return bits.join("；");
  }

  function renderEvents(events) {
    clear(el.eventLog);
    // Views are the access audit: there is one per opening, so they are shown only on request.
    const sorted = events
      .filter((e) => el.showViews.checked || e.type !== "viewed")
      .sort((a, b) => (a.seq || 0) - (b.seq || 0));
    for (const e of sorted) {
      const li = make("li", `event event-${e.type}`);
      li.dataset.type = e.type;
      li.dataset.seq = String(e.seq);
      const head = make("p", "event-head");
      head.appendChild(make("time", "event-time", timeText(e.at)));
      head.appendChild(make("span", "event-label", EVENT_LABEL[e.type] || e.type));
      head.appendChild(make("span", "event-actor", person(e.actor, e.type)));
      li.appendChild(head);
      const detail = eventDetail(e);
      if (detail) li.appendChild(make("p", "event-detail", detail));
      el.eventLog.appendChild(li);
    }
  }

  /**
   * A live event for the open case. Its summary and event log are updated in
   * place; the transcript is fetched again when the event may have added a
   * message (GET is audited as a view, so it is not refetched for every event).
   */
  let refetchTimer = 0;
  function onCurrentCaseEvent(seq, event, c) {
    const detail = state.current.detail;
    detail.case = { ...detail.case, ...c };
    if (!Array.isArray(detail.events)) detail.events = [];
    const events = detail.events;
    if (Number.isFinite(seq) && !events.some((e) => e.seq === seq)) {
      events.push({ seq, type: event.type, actor: event.actor || null, data: event.data || {}, at: event.at });
    }
    renderDetail();
    // Event data carries no message text, so the transcript is read again; a step
    // this console took itself already came back with the action's answer.
    const byMe = event.actor && state.session && event.actor.id === state.session.user.id;
    const addsContent = ["resident_message", "reopened", "replied", "referred"].includes(event.type);
    if (addsContent && !byMe) {
      clearTimeout(refetchTimer);
      const id = state.current.id;
      refetchTimer = setTimeout(() => {
        if (state.current && state.current.id === id) openCase(id);
      }, 150);
    }
  }

  el.showViews.addEventListener("change", () => {
    if (state.current) renderEvents(state.current.detail.events || []);
  });

  // ------------------------------------------------------------------ actions

  /** Runs one case action; the server answers with the updated detail. */
  async function act(path, body, errorNode, button) {
    if (!state.current) return null;
    const id = state.current.id;
    setError(errorNode, "");
    if (button) button.disabled = true;
    try {
      const data = await api("POST", `/api/staff/cases/${encodeURIComponent(id)}/${path}`, body);
      if (state.current && state.current.id === id) showDetail(data, false);
      return data;
    } catch (err) {
      setError(errorNode, err.message);
      // Someone else acted first (claimed, closed): show the case as it is now.
      if (err.status === 409) openCase(id);
      return null;
    } finally {
      if (button) button.disabled = false;
      if (state.current) renderDetail();
    }
  }

  el.claimBtn.addEventListener("click", async () => {
    const done = await act("claim", undefined, el.claimError, el.claimBtn);
    if (done) el.replyInput.focus();
  });

  el.replyForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = el.replyInput.value.trim();
    if (!text) {
      setError(el.replyError, "请先输入要发给求助人的内容。");
      return;
    }
    if (text.length > MAX_TEXT) {
      setError(el.replyError, `每条不超过${MAX_TEXT}字。`);
      return;
    }
    const done = await act("reply", { text }, el.replyError, el.replySend);
    if (done) {
      el.replyInput.value = "";
      renderDetail();
    }
  });

  el.replyInput.addEventListener("input", () => {
    if (!el.replyInput.disabled) el.replyHint.textContent = `还可输入 ${MAX_TEXT - el.replyInput.value.length} 字`;
  });

  // Ctrl/Cmd+Enter sends; a plain Enter is a new line (replies to residents are often several lines).
  el.replyInput.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      el.replyForm.requestSubmit();
    }
  });

  el.noteForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = el.noteInput.value.trim();
    if (!text) {
      setError(el.noteError, "请先输入备注内容。");
      return;
    }
    const done = await act("notes", { text }, el.noteError, $("note-add"));
    if (done) el.noteInput.value = "";
  });

  el.transferForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const queue = el.transferQueue.value;
    const reason = el.transferReason.value.trim();
    if (!queue || !reason) {
      setError(el.transferError, "请选择要转交的队列并填写原因。");
      return;
    }
    const done = await act("transfer", { queue, reason }, el.transferError, $("transfer-btn"));
    if (done) {
      el.transferReason.value = "";
      el.transferCard.open = false;
    }
  });

  el.reportForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const reportedTo = el.reportTo.value.trim();
    const reportedAt = fromLocalInput(el.reportAt.value);
    const referenceNumber = el.reportRef.value.trim();
    if (!reportedTo || !reportedAt) {
      setError(el.reportError, "请填写报告对象和报告时间。");
      return;
    }
    const body = { reportedTo, reportedAt };
    if (referenceNumber) body.referenceNumber = referenceNumber;
    const done = await act("mandatory-report", body, el.reportError, $("report-add"));
    if (done) {
      el.reportTo.value = "";
      el.reportRef.value = "";
      el.reportAt.value = "";
      renderDetail();
    }
  });

  for (const [value, label] of OUTCOMES) el.closeOutcome.appendChild(new Option(label, value));

  el.closeForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const outcome = el.closeOutcome.value;
    const note = el.closeNote.value.trim();
    if (!outcome) {
      setError(el.closeError, "请选择处理结果。");
      return;
    }
    const body = { outcome };
    if (note) body.note = note;
    const done = await act("close", body, el.closeError, $("close-btn"));
    if (done) {
      el.closeNote.value = "";
      el.closeOutcome.value = "";
    }
  });

  // ------------------------------------------------------------------ start

  for (const type of ["pointerdown", "keydown"]) document.addEventListener(type, unlockAudio, { capture: true });
  el.sound.addEventListener("click", () => {
    unlockAudio();
    // A short tone confirms that alerts will be heard.
    setTimeout(() => beep("new"), 50);
  });

  async function boot() {
    showBoot();
    try {
      const data = await api("GET", "/api/staff/me");
      await startSession(data);
    } catch (err) {
      showLogin(err.status === 401 || err.status === 403 ? "" : err.message);
    }
  }

  boot();
})();
