// 济源妇儿服务助手 — resident chat page.
//
// Plain script, no build step, no third-party code. Written for old-ish
// Chromium WebViews (WeChat's built-in browser): no optional chaining, no
// nullish coalescing, no lookbehind, no replaceChildren.
//
// Server data is only ever rendered with textContent / createTextNode, never
// as HTML.

(() => {
  const EXIT_URL = "https://www.baidu.com/s?wd=%E5%A4%A9%E6%B0%94"; // a neutral weather search
  const MAX_CHARS = 2000;
  const KEY_CONVERSATION = "fuer.conversationId";
  const KEY_AREA = "fuer.area";
  const CONVERSATION_ID_RE = /^[A-Za-z0-9_-]{8,64}$/;

  const WS_CONNECT_TIMEOUT_MS = 8000;
  const WS_WAIT_FOR_OPEN_MS = 2500;
  const WS_REPLY_TIMEOUT_MS = 20000;
  const HTTP_TIMEOUT_MS = 30000;
  const HTTP_RETRY_DELAY_MS = 1500;
  const PING_INTERVAL_MS = 25000;
  const PONG_TIMEOUT_MS = 10000;
  const BACKOFF_START_MS = 1000;
  const BACKOFF_MAX_MS = 30000;
  const SHIFT_WINDOW_MS = 1200;

  const MSG_NETWORK = "网络连接不上，消息没有发出去。请检查网络后点“重试”。如果你现在有危险，请马上拨打110。";
  const MSG_SERVER = "服务出了点问题，请稍后再试。如果你现在有危险，请马上拨打110。";
  const MSG_EMPTY = "请先输入你想问的内容。";
  const MSG_TOO_LONG = `消息太长了，每条请不超过${MAX_CHARS}字，可以分几次发送。`;

  const PLAN_NAMES = { women: "妇女发展规划", children: "儿童发展规划" };
  const SECTION_NAMES = { goal: "主要目标", measure: "策略措施" };
  const KNOWN_KINDS = { answer: true, services: true, urgent: true, clarify: true, unknown: true };
  const RETRYABLE_CODES = { ERR_RATE_LIMITED: true, ERR_INTERNAL: true, ERR_UNAVAILABLE: true };

  const el = {
    root: document.documentElement,
    messages: document.getElementById("messages"),
    form: document.getElementById("composer-form"),
    input: document.getElementById("input"),
    send: document.getElementById("send"),
    counter: document.getElementById("counter"),
    error: document.getElementById("composer-error"),
    area: document.getElementById("area"),
    exit: document.getElementById("quick-exit"),
    continued: document.getElementById("continued"),
  };

  // ---------------------------------------------------------------- storage

  function storeGet(key) {
    try {
      return window.sessionStorage.getItem(key);
    } catch (_e) {
      return null;
    }
  }

  function storeSet(key, value) {
    try {
      if (value) window.sessionStorage.setItem(key, value);
      else window.sessionStorage.removeItem(key);
    } catch (_e) {
      // Storage can be disabled; the page still works for this visit.
    }
  }

  let conversationId = storeGet(KEY_CONVERSATION);
  if (conversationId && !CONVERSATION_ID_RE.test(conversationId)) {
    conversationId = null;
    storeSet(KEY_CONVERSATION, null);
  }

  // ---------------------------------------------------------------- helpers

  function newMessageId() {
    const c = window.crypto;
    if (c && typeof c.randomUUID === "function") {
      try {
        return c.randomUUID();
      } catch (_e) {
        // randomUUID needs a secure context; fall through.
      }
    }
    if (c && typeof c.getRandomValues === "function") {
      const bytes = new Uint8Array(16);
      c.getRandomValues(bytes);
      let hex = "";
      for (let i = 0; i < bytes.length; i++) hex += (bytes[i] < 16 ? "0" : "") + bytes[i].toString(16);
      return `m-${hex}`;
    }
    return `m-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}-${Math.random().toString(36).slice(2)}`;
  }

  /** Characters as residents see them (code points), as the server counts. */
  function charCount(text) {
    let n = 0;
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
        const next = text.charCodeAt(i + 1);
        if (next >= 0xdc00 && next <= 0xdfff) i++;
      }
      n++;
    }
    return n;
  }

  function normalise(text) {
    return text.replace(/\r\n?/g, "\n").trim();
  }

  function make(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function clearChildren(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  function telHref(number) {
    return `tel:${number.replace(/[^0-9+]/g, "")}`;
  }

  function telLink(number, label, className) {
    const a = make("a", className || "tel", label || number);
    a.href = telHref(number);
    return a;
  }

  // A number in running text becomes a tel: link when it is clearly a phone
  // number: a hotline code, a landline (0391-…), a mobile or a 400 number.
  const DIGIT_RUN_RE = /\d[\d-]*\d/g;
  const PHONE_RE = /^(?:0\d{2,3}-?\d{7,8}|1[3-9]\d{9}|400-?\d{3}-?\d{4}|12\d{3})$/;
  const SHORT_CODES = { 110: true, 119: true, 120: true, 122: true };
  const NOT_PHONE_AFTER = "万亿个人所家元年月日号%‰多余名岁天小次项条.．";

  function looksLikePhone(run, nextChar) {
    if (PHONE_RE.test(run)) return true;
    return SHORT_CODES[run] === true && NOT_PHONE_AFTER.indexOf(nextChar) === -1;
  }

  /** Appends text to a node, turning phone numbers into tel: links. Text only, never HTML. */
  function appendLinkified(node, text, anyNumber) {
    let last = 0;
    DIGIT_RUN_RE.lastIndex = 0;
    let match = DIGIT_RUN_RE.exec(text);
    while (match !== null) {
      const run = match[0];
      const start = match.index;
      const end = start + run.length;
      const before = start > 0 ? text.charAt(start - 1) : "";
      const nextChar = text.charAt(end);
      const isolated = !/[0-9A-Za-z]/.test(before) && !/[A-Za-z]/.test(nextChar);
      const digits = run.replace(/-/g, "");
      if (isolated && (anyNumber ? digits.length >= 3 : looksLikePhone(run, nextChar))) {
        if (start > last) node.appendChild(document.createTextNode(text.slice(last, start)));
        node.appendChild(telLink(run, run, "tel-inline"));
        last = end;
      }
      match = DIGIT_RUN_RE.exec(text);
    }
    if (last < text.length) node.appendChild(document.createTextNode(text.slice(last)));
  }

  // ---------------------------------------------------------------- message list

  let typingEl = null;

  function appendToLog(node) {
    if (typingEl && typingEl.parentNode === el.messages) el.messages.insertBefore(node, typingEl);
    else el.messages.appendChild(node);
  }

  function newMessage(role, extraClass, who) {
    const root = make("div", `msg msg-${role}${extraClass ? ` ${extraClass}` : ""}`);
    const whoEl = make("p", role === "me" ? "msg-who visually-hidden" : "msg-who", who);
    const bubble = make("div", "bubble");
    root.appendChild(whoEl);
    root.appendChild(bubble);
    return { root, bubble };
  }

  function scrollToEnd() {
    window.scrollTo(0, document.documentElement.scrollHeight || document.body.scrollHeight);
  }

  function showTyping(on) {
    if (on && !typingEl) {
      typingEl = make("div", "msg msg-bot msg-typing");
      typingEl.setAttribute("aria-hidden", "true");
      const bubble = make("div", "bubble");
      bubble.appendChild(make("span", "typing-text", "正在回复"));
      bubble.appendChild(make("span", "typing-dots", "…"));
      typingEl.appendChild(bubble);
      el.messages.appendChild(typingEl);
    } else if (!on && typingEl) {
      if (typingEl.parentNode) typingEl.parentNode.removeChild(typingEl);
      typingEl = null;
    }
  }

  function addResidentMessage(m) {
    const msg = newMessage("me", "", "我说：");
    msg.bubble.appendChild(make("p", "msg-text", m.text));
    const status = make("p", "msg-status", "发送中…");
    msg.root.appendChild(status);
    m.root = msg.root;
    m.status = status;
    appendToLog(msg.root);
    scrollToEnd();
  }

  function setSending(m) {
    m.root.classList.remove("msg-failed");
    clearChildren(m.status);
    m.status.className = "msg-status";
    m.status.textContent = "发送中…";
  }

  function markSent(m) {
    clearChildren(m.status);
    m.status.className = "msg-status msg-status-done visually-hidden";
    m.status.textContent = "已发送";
  }

  function markFailed(m, error) {
    m.root.classList.add("msg-failed");
    clearChildren(m.status);
    m.status.className = "msg-status msg-status-error";
    m.status.setAttribute("role", "alert");
    m.status.appendChild(make("span", "msg-error-text", error.message));
    if (error.retryable) {
      const retry = make("button", "retry", "重试");
      retry.type = "button";
      retry.addEventListener("click", () => {
        if (exiting) return;
        m.status.removeAttribute("role");
        setSending(m);
        enqueue(m);
      });
      m.status.appendChild(retry);
    }
  }

  function renderCitations(bubble, citations) {
    const box = make("div", "citations");
    box.appendChild(make("p", "citations-title", "规划原文（点开查看）"));
    for (let i = 0; i < citations.length; i++) {
      const c = citations[i] || {};
      const details = make("details", "citation");
      const summary = make("summary", "citation-summary");
      const where = [PLAN_NAMES[c.plan] || "发展规划"];
      if (c.domain) where.push(String(c.domain));
      if (SECTION_NAMES[c.section]) {
        where.push(SECTION_NAMES[c.section] + (typeof c.number === "number" ? `（${c.number}）` : ""));
      }
      summary.appendChild(make("span", "citation-where", where.join(" · ")));
      summary.appendChild(make("span", "citation-title", c.title || "相关条款"));
      details.appendChild(summary);
      details.appendChild(make("blockquote", "citation-text", c.text || ""));
      box.appendChild(details);
    }
    bubble.appendChild(box);
  }

  function cardLine(card, label, value, linkify) {
    const line = make("p", "card-line");
    line.appendChild(make("span", "card-label", `${label}：`));
    const val = make("span", "card-value");
    if (linkify) appendLinkified(val, value, true);
    else val.textContent = value;
    line.appendChild(val);
    card.appendChild(line);
  }

  function renderServices(bubble, services) {
    const list = make("div", "services");
    for (let i = 0; i < services.length; i++) {
      const s = services[i] || {};
      const card = make("section", "service-card");
      card.appendChild(make("h3", "service-name", s.name || "服务"));
      if (s.area) cardLine(card, "地区", String(s.area), false);
      if (s.phone) cardLine(card, "电话", String(s.phone), true);
      if (s.address) cardLine(card, "地址", String(s.address), false);
      if (s.hours) cardLine(card, "时间", String(s.hours), false);
      list.appendChild(card);
    }
    bubble.appendChild(list);
  }

  /** 👍/👎 under an answer: tells administrators which answers did not help (no text is sent). */
  function renderFeedback(bubble, messageId) {
    const box = make("div", "feedback");
    box.appendChild(make("span", "feedback-label", "这个回答有帮助吗？"));
    const note = make("span", "feedback-note");
    const send = (helpful, chosen) => {
      if (!conversationId) return;
      for (const b of box.querySelectorAll("button")) b.setAttribute("aria-pressed", String(b === chosen));
      fetch("/api/chat/feedback", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ conversationId: conversationId, messageId: messageId, helpful: helpful }),
      })
        .then((res) => {
          note.textContent = res.ok ? "谢谢反馈" : "";
        })
        .catch(() => {
          note.textContent = "";
        });
    };
    for (const [helpful, label, title] of [
      [true, "👍", "有帮助"],
      [false, "👎", "没帮助"],
    ]) {
      const button = make("button", "feedback-btn", label);
      button.type = "button";
      button.setAttribute("aria-label", title);
      button.setAttribute("aria-pressed", "false");
      button.addEventListener("click", () => send(helpful, button));
      box.appendChild(button);
    }
    box.appendChild(note);
    bubble.appendChild(box);
  }

  function renderReply(data) {
    const urgent = data.kind === "urgent";
    const kind = KNOWN_KINDS[data.kind] === true ? data.kind : "answer";
    const msg = newMessage("bot", `msg-${kind}`, "助手");
    if (urgent) {
      const call = make("div", "urgent-call");
      call.appendChild(make("p", "urgent-line", "有危险请马上拨打110"));
      call.appendChild(telLink("110", "拨打110", "call-110"));
      msg.bubble.appendChild(call);
    }
    const text = make("p", "msg-text");
    appendLinkified(text, typeof data.reply === "string" ? data.reply : "", false);
    msg.bubble.appendChild(text);
    const hasCitations = Array.isArray(data.citations) && data.citations.length > 0;
    const hasServices = Array.isArray(data.services) && data.services.length > 0;
    if (hasCitations) renderCitations(msg.bubble, data.citations);
    if (hasServices) renderServices(msg.bubble, data.services);
    if (hasCitations || hasServices) msg.bubble.classList.add("bubble-wide");
    if (!urgent && typeof data.messageId === "string") renderFeedback(msg.bubble, data.messageId);
    appendToLog(msg.root);
    msg.root.scrollIntoView({ block: "start" });
  }

  function formatTime(at) {
    const d = new Date(at);
    if (Number.isNaN(d.getTime())) return "";
    const pad = (n) => (n < 10 ? `0${n}` : String(n));
    return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  }

  /** Staff messages already on screen (live, resumed or restored), so none shows twice. */
  const shownStaffIds = Object.create(null);

  function renderStaffReply(event) {
    if (typeof event.text !== "string" || !event.text) return;
    // A resume replays stored bot replies too; those are on screen already (or
    // restored from history), only staff messages may be new.
    if (event.role === "bot") return;
    if (typeof event.id === "string") {
      if (shownStaffIds[event.id]) return;
      shownStaffIds[event.id] = true;
    }
    const time = event.at ? formatTime(event.at) : "";
    const msg = newMessage("staff", "", time ? `工作人员 ${time}` : "工作人员");
    const text = make("p", "msg-text");
    appendLinkified(text, event.text, false);
    msg.bubble.appendChild(text);
    appendToLog(msg.root);
    msg.root.scrollIntoView({ block: "start" });
  }

  // ---------------------------------------------------------------- transport

  let exiting = false;
  const inflight = Object.create(null); // clientMessageId → settle(result)

  const ws = {
    sock: null,
    open: false,
    backoff: BACKOFF_START_MS,
    connectTimer: 0,
    reconnectTimer: 0,
    pingTimer: 0,
    pongTimer: 0,
    /** The message waiting for its answer over the socket (frames are answered in order). */
    pending: null,
    waiters: [],
  };

  function wsUrl() {
    return `${window.location.protocol === "https:" ? "wss:" : "ws:"}//${window.location.host}/ws/chat`;
  }

  function notifyWaiters() {
    const waiters = ws.waiters;
    ws.waiters = [];
    for (let i = 0; i < waiters.length; i++) waiters[i]();
  }

  function setTransport() {
    el.root.setAttribute("data-transport", ws.open ? "ws" : "http");
  }

  function connect() {
    if (exiting || ws.sock || typeof window.WebSocket !== "function") return;
    let sock;
    try {
      sock = new window.WebSocket(wsUrl());
    } catch (_e) {
      scheduleReconnect();
      return;
    }
    ws.sock = sock;
    ws.connectTimer = window.setTimeout(() => {
      if (!ws.open) dropSocket(sock);
    }, WS_CONNECT_TIMEOUT_MS);
    sock.onopen = () => {
      if (ws.sock !== sock) return;
      window.clearTimeout(ws.connectTimer);
      ws.open = true;
      ws.backoff = BACKOFF_START_MS;
      setTransport();
      ws.pingTimer = window.setInterval(ping, PING_INTERVAL_MS);
      // Staff may have answered while the socket was down: ask for what was
      // missed and subscribe to this conversation's live replies.
      if (conversationId) {
        try {
          sock.send(JSON.stringify({ type: "resume", conversationId: conversationId }));
        } catch (_e) {
          // the close handler reconnects
        }
      }
      notifyWaiters();
    };
    sock.onmessage = (event) => {
      if (ws.sock === sock) onSocketFrame(event.data);
    };
    sock.onclose = () => dropSocket(sock);
    sock.onerror = () => dropSocket(sock);
  }

  /** Forgets a socket (closed, failed, or silent); a message waiting on it goes over HTTP. */
  function dropSocket(sock) {
    if (ws.sock !== sock) return;
    sock.onopen = null;
    sock.onmessage = null;
    sock.onclose = null;
    sock.onerror = null;
    try {
      sock.close();
    } catch (_e) {
      // already closed
    }
    window.clearTimeout(ws.connectTimer);
    window.clearInterval(ws.pingTimer);
    window.clearTimeout(ws.pongTimer);
    ws.sock = null;
    ws.open = false;
    setTransport();
    notifyWaiters();
    const pending = ws.pending;
    ws.pending = null;
    if (pending) pending.fallback();
    scheduleReconnect();
  }

  function scheduleReconnect() {
    if (exiting || ws.reconnectTimer) return;
    const delay = Math.round(ws.backoff * (0.5 + Math.random() * 0.5));
    ws.backoff = Math.min(ws.backoff * 2, BACKOFF_MAX_MS);
    ws.reconnectTimer = window.setTimeout(() => {
      ws.reconnectTimer = 0;
      connect();
    }, delay);
  }

  function reconnectNow() {
    if (exiting || ws.sock) return;
    window.clearTimeout(ws.reconnectTimer);
    ws.reconnectTimer = 0;
    ws.backoff = BACKOFF_START_MS;
    connect();
  }

  function ping() {
    const sock = ws.sock;
    // While a message waits on the socket its own timeout watches the line (the
    // server answers frames in order, so a ping would wait behind it).
    if (!sock || !ws.open || ws.pending) return;
    try {
      sock.send(JSON.stringify({ type: "ping" }));
    } catch (_e) {
      dropSocket(sock);
      return;
    }
    window.clearTimeout(ws.pongTimer);
    ws.pongTimer = window.setTimeout(() => dropSocket(sock), PONG_TIMEOUT_MS);
  }

  function onSocketFrame(raw) {
    window.clearTimeout(ws.pongTimer); // any frame shows the socket is alive
    let frame;
    try {
      frame = JSON.parse(raw);
    } catch (_e) {
      return;
    }
    if (!frame || typeof frame !== "object") return;
    if (frame.type === "reply") {
      const settle = typeof frame.clientMessageId === "string" ? inflight[frame.clientMessageId] : undefined;
      if (settle) settle({ ok: true, data: frame });
    } else if (frame.type === "error") {
      // Error frames carry no clientMessageId; the socket answers in order,
      // so this one belongs to the message waiting on it.
      const pending = ws.pending;
      if (pending) {
        inflightSettle(pending.id, {
          ok: false,
          error: {
            message: typeof frame.message === "string" && frame.message ? frame.message : MSG_SERVER,
            retryable: RETRYABLE_CODES[frame.code] === true,
          },
        });
      }
    } else if (frame.type === "staff_reply") {
      renderStaffReply(frame);
    }
    // pong and unknown event types need nothing.
  }

  function inflightSettle(id, result) {
    const settle = inflight[id];
    if (settle) settle(result);
  }

  function waitForSocket() {
    return new Promise((resolve) => {
      if (ws.open || !ws.sock) {
        resolve();
        return;
      }
      const timer = window.setTimeout(done, WS_WAIT_FOR_OPEN_MS);
      function done() {
        window.clearTimeout(timer);
        const i = ws.waiters.indexOf(done);
        if (i !== -1) ws.waiters.splice(i, 1);
        resolve();
      }
      ws.waiters.push(done);
    });
  }

  function payloadFor(m) {
    const body = { text: m.text, channel: "web", clientMessageId: m.id };
    if (conversationId) body.conversationId = conversationId;
    if (m.area) body.area = m.area;
    return body;
  }

  function sendOverSocket(m, onFallback) {
    const sock = ws.sock;
    const frame = payloadFor(m);
    frame.type = "message";
    try {
      sock.send(JSON.stringify(frame));
    } catch (_e) {
      onFallback();
      return;
    }
    const pending = {
      id: m.id,
      fallback: () => {
        window.clearTimeout(pending.timer);
        if (ws.pending === pending) ws.pending = null;
        onFallback();
      },
      timer: 0,
    };
    pending.timer = window.setTimeout(() => {
      // No answer in time: the socket may be dead without knowing it. Ask
      // over HTTP with the same id (the server answers a repeat from its
      // record), and start a fresh socket.
      pending.fallback();
      if (ws.sock === sock) dropSocket(sock);
    }, WS_REPLY_TIMEOUT_MS);
    ws.pending = pending;
  }

  function sendOverHttp(m, attempt) {
    if (m.settled || exiting) return;
    const controller = typeof window.AbortController === "function" ? new window.AbortController() : null;
    const timer = window.setTimeout(() => {
      if (controller) controller.abort();
    }, HTTP_TIMEOUT_MS);
    const init = {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(payloadFor(m)),
      credentials: "same-origin",
      cache: "no-store",
    };
    if (controller) init.signal = controller.signal;
    window
      .fetch("/api/chat", init)
      .then((res) =>
        res.json().then(
          (body) => ({ res, body }),
          () => ({ res, body: null }),
        ),
      )
      .then(
        (r) => {
          window.clearTimeout(timer);
          const body = r.body;
          if (r.res.ok && body && typeof body.reply === "string") {
            inflightSettle(m.id, { ok: true, data: body });
            return;
          }
          const status = r.res.status;
          inflightSettle(m.id, {
            ok: false,
            error: {
              message: body && typeof body.message === "string" && body.message ? body.message : MSG_SERVER,
              retryable: status === 429 || status >= 500,
            },
          });
        },
        () => {
          window.clearTimeout(timer);
          if (attempt < 1 && !m.settled && !exiting) {
            window.setTimeout(() => sendOverHttp(m, attempt + 1), HTTP_RETRY_DELAY_MS);
            return;
          }
          inflightSettle(m.id, { ok: false, error: { message: MSG_NETWORK, retryable: true } });
        },
      );
  }

  /** Sends one message and resolves with its answer or error, whichever transport gets there first. */
  function deliver(m) {
    return new Promise((resolve) => {
      m.settled = false;
      inflight[m.id] = (result) => {
        if (m.settled) return;
        m.settled = true;
        delete inflight[m.id];
        if (ws.pending && ws.pending.id === m.id) {
          window.clearTimeout(ws.pending.timer);
          ws.pending = null;
        }
        resolve(result);
      };
      waitForSocket().then(() => {
        if (m.settled || exiting) return;
        if (ws.open && ws.sock) sendOverSocket(m, () => sendOverHttp(m, 0));
        else sendOverHttp(m, 0);
      });
    });
  }

  // ---------------------------------------------------------------- sending

  const queue = [];
  let pumping = false;

  function enqueue(m) {
    queue.push(m);
    pump();
  }

  /** One message at a time, so each carries the conversation id the previous answer set. */
  function pump() {
    if (pumping || exiting) return;
    pumping = true;
    showTyping(true);
    const next = () => {
      if (exiting) return;
      const m = queue[0];
      if (!m) {
        pumping = false;
        showTyping(false);
        return;
      }
      deliver(m).then((result) => {
        queue.shift();
        if (exiting) return;
        if (result.ok) {
          const data = result.data;
          if (typeof data.conversationId === "string" && CONVERSATION_ID_RE.test(data.conversationId)) {
            conversationId = data.conversationId;
            storeSet(KEY_CONVERSATION, conversationId);
          }
          markSent(m);
          renderReply(data);
        } else {
          markFailed(m, result.error);
        }
        next();
      });
    };
    next();
  }

  function showComposerError(message) {
    el.error.textContent = message;
    el.input.setAttribute("aria-invalid", "true");
  }

  function clearComposerError() {
    if (!el.error.textContent) return;
    el.error.textContent = "";
    el.input.removeAttribute("aria-invalid");
  }

  function submitText(raw) {
    if (exiting) return false;
    const text = normalise(raw);
    if (!text) {
      showComposerError(MSG_EMPTY);
      return false;
    }
    if (charCount(text) > MAX_CHARS) {
      showComposerError(MSG_TOO_LONG);
      return false;
    }
    clearComposerError();
    const m = { id: newMessageId(), text, area: el.area.value || "", settled: false };
    addResidentMessage(m);
    enqueue(m);
    return true;
  }

  function updateCounter() {
    const n = charCount(normalise(el.input.value));
    el.counter.textContent = n > MAX_CHARS ? `${n}/${MAX_CHARS}，超出${n - MAX_CHARS}字` : `${n}/${MAX_CHARS}`;
    el.counter.classList.toggle("counter-over", n > MAX_CHARS);
    if (n > MAX_CHARS) showComposerError(MSG_TOO_LONG);
    else if (el.error.textContent === MSG_TOO_LONG || el.error.textContent === MSG_EMPTY) clearComposerError();
  }

  function autosize() {
    const input = el.input;
    input.rows = 1;
    let rows = 1;
    while (input.scrollHeight > input.clientHeight + 1 && rows < 5) {
      rows++;
      input.rows = rows;
    }
  }

  function sendFromInput() {
    if (submitText(el.input.value)) {
      el.input.value = "";
      updateCounter();
      autosize();
    }
    el.input.focus();
  }

  el.form.addEventListener("submit", (event) => {
    event.preventDefault();
    sendFromInput();
  });

  el.input.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || event.shiftKey) return;
    // Enter while an input method is composing picks a candidate; it does not send.
    if (event.isComposing || event.keyCode === 229) return;
    event.preventDefault();
    sendFromInput();
  });

  el.input.addEventListener("input", () => {
    updateCounter();
    autosize();
  });

  const chips = document.querySelectorAll(".chip");
  for (let i = 0; i < chips.length; i++) {
    const chip = chips[i];
    chip.addEventListener("click", () => {
      submitText(chip.getAttribute("data-text") || chip.textContent || "");
    });
  }

  const savedArea = storeGet(KEY_AREA);
  if (savedArea) {
    for (let i = 0; i < el.area.options.length; i++) {
      if (el.area.options[i].value === savedArea) el.area.value = savedArea;
    }
  }
  el.area.addEventListener("change", () => storeSet(KEY_AREA, el.area.value));

  if (conversationId) {
    el.continued.hidden = false;
    restoreHistory(conversationId);
  }

  /** After a reload in the same tab, shows the conversation so far (the server keeps it; the page does not). */
  function restoreHistory(id) {
    if (typeof window.fetch !== "function") return;
    window
      .fetch(`/api/chat/history?conversationId=${encodeURIComponent(id)}`, { cache: "no-store" })
      .then((res) => (res.ok ? res.json() : null))
      .then((data) => {
        if (!data?.messages || exiting) return;
        for (let i = 0; i < data.messages.length; i++) {
          const m = data.messages[i];
          if (m.role === "resident") {
            const msg = newMessage("me", "", "我说：");
            msg.bubble.appendChild(make("p", "msg-text", m.text));
            appendToLog(msg.root);
          } else if (m.role === "staff") {
            renderStaffReply({ id: m.id, role: "staff", text: m.text, at: m.at });
          } else {
            const msg = newMessage("bot", "", "助手");
            const text = make("p", "msg-text");
            appendLinkified(text, m.text, false);
            msg.bubble.appendChild(text);
            appendToLog(msg.root);
          }
        }
        scrollToEnd();
      })
      .catch(() => {
        // History is a convenience; the chat works without it.
      });
  }

  // ---------------------------------------------------------------- quick exit

  function quickExit() {
    if (!exiting) {
      exiting = true;
      el.root.classList.add("leaving");
      try {
        window.sessionStorage.clear();
      } catch (_e) {
        // nothing stored
      }
      try {
        window.localStorage.clear();
      } catch (_e) {
        // nothing stored
      }
      queue.length = 0;
      window.clearTimeout(ws.reconnectTimer);
      if (ws.sock) dropSocket(ws.sock);
      window.clearTimeout(ws.reconnectTimer);
      clearChildren(el.messages);
      el.input.value = "";
      el.area.value = "";
      document.title = "天气";
    }
    // replace(): the chat leaves the history, so Back does not return to it.
    window.location.replace(EXIT_URL);
  }

  el.exit.addEventListener("click", quickExit);

  let shiftPresses = [];
  document.addEventListener(
    "keydown",
    (event) => {
      if (event.key !== "Shift") {
        shiftPresses = [];
        return;
      }
      if (event.repeat) return;
      const now = Date.now();
      shiftPresses = shiftPresses.filter((t) => now - t < SHIFT_WINDOW_MS);
      shiftPresses.push(now);
      if (shiftPresses.length >= 3) quickExit();
    },
    true,
  );

  // ---------------------------------------------------------------- start

  window.addEventListener("online", reconnectNow);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") reconnectNow();
  });

  setTransport();
  updateCounter();
  connect();
})();
