/* 济源妇儿服务助手 · 管理页面: service directory, knowledge gaps, 监测评估 statistics. */
(() => {
  const $ = (id) => document.getElementById(id);
  const state = { session: null, entries: [], areas: [], categories: [], selected: null, importCsv: null, charts: {} };

  const CATEGORY = {
    hotline: "热线",
    parent_school: "家长学校",
    family_education_station: "家庭教育指导站点",
    family_education_center: "家庭教育指导中心",
    children_home: "儿童之家",
    children_director: "儿童主任",
    women_home: "妇女之家",
    public_legal_service: "公共法律服务",
    legal_aid: "法律援助",
    minor_rescue_protection: "未成年人救助保护",
    marriage_mediation: "婚姻家庭调解",
    emergency_shelter: "临时庇护",
    maternal_child_health: "妇幼保健",
    childcare: "托育",
    social_work_station: "社工站",
    minor_protection_station: "未成年人保护工作站",
    women_federation: "妇联",
    other: "其他",
  };
  const CASE_CATEGORY = {
    domestic_violence: "家庭暴力",
    child_harm: "伤害儿童",
    sexual_violence: "性暴力",
    self_harm: "自伤",
    trafficking_missing: "拐卖/走失",
  };
  const SEVERITY = { immediate: "立即", urgent: "紧急", concern: "关注" };
  const COLORS = ["#b4235a", "#2f6fb0", "#3a8f5c", "#c7791b", "#7a4fb5", "#1f8a8a", "#9a6b3f", "#5d6b7a", "#d04f4f"];

  function make(tag, className, text) {
    const el = document.createElement(tag);
    if (className) el.className = className;
    if (text !== undefined && text !== null) el.textContent = String(text);
    return el;
  }
  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  class ApiError extends Error {
    constructor(code, message, status, issues) {
      super(message);
      this.code = code;
      this.status = status;
      this.issues = issues || [];
    }
  }

  async function api(method, path, body) {
    const headers = { accept: "application/json" };
    const init = { method, headers, credentials: "same-origin", cache: "no-store" };
    if (method !== "GET" && state.session) headers["x-csrf-token"] = state.session.csrfToken;
    if (body !== undefined) {
      headers["content-type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(path, init);
    } catch (_e) {
      throw new ApiError("ERR_NETWORK", "网络连接失败，请稍后再试。", 0);
    }
    let data = null;
    try {
      data = await res.json();
    } catch (_e) {
      data = null;
    }
    if (!res.ok) {
      const code = data && typeof data.code === "string" ? data.code : `HTTP_${res.status}`;
      const message = data && typeof data.message === "string" ? data.message : `请求失败（${res.status}）`;
      if (res.status === 401 && path !== "/api/staff/login" && state.session) showLogin("登录已失效，请重新登录。");
      throw new ApiError(code, message, res.status, data && Array.isArray(data.issues) ? data.issues : []);
    }
    return data;
  }

  // ------------------------------------------------------------------ session

  function showLogin(message) {
    state.session = null;
    $("boot").hidden = true;
    $("admin-view").hidden = true;
    $("login-view").hidden = false;
    $("login-error").textContent = message || "";
  }

  async function startSession(data) {
    if (data.user?.role !== "admin") {
      showLogin("此页面仅限管理员使用。");
      return;
    }
    state.session = { user: data.user, csrfToken: data.csrfToken };
    $("me-name").textContent = data.user.displayName;
    $("boot").hidden = true;
    $("login-view").hidden = true;
    $("admin-view").hidden = false;
    await loadDirectory();
  }

  $("login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    $("login-error").textContent = "";
    $("login-submit").disabled = true;
    try {
      const data = await api("POST", "/api/staff/login", {
        username: $("login-username").value.trim(),
        password: $("login-password").value,
      });
      $("login-password").value = "";
      await startSession(data);
    } catch (err) {
      $("login-error").textContent = err.message;
    } finally {
      $("login-submit").disabled = false;
    }
  });

  $("logout").addEventListener("click", async () => {
    try {
      await fetch("/api/staff/logout", {
        method: "POST",
        credentials: "same-origin",
        headers: { "x-csrf-token": state.session ? state.session.csrfToken : "" },
      });
    } finally {
      showLogin("");
    }
  });

  // ------------------------------------------------------------------ tabs

  for (const tab of document.querySelectorAll(".tab")) {
    tab.addEventListener("click", () => selectTab(tab.dataset.tab));
  }

  function selectTab(name) {
    for (const tab of document.querySelectorAll(".tab")) {
      tab.setAttribute("aria-pressed", String(tab.dataset.tab === name));
    }
    for (const panel of document.querySelectorAll(".tab-panel")) panel.hidden = panel.id !== `tab-${name}`;
    if (name === "directory") loadDirectory();
    if (name === "gaps") loadGaps();
    if (name === "stats") loadStats();
  }

  // ------------------------------------------------------------------ directory

  function staleLabel(e) {
    if (e.stale === "never") return "从未核实";
    if (e.stale === "old") return "超过180天未复核";
    return e.verified ? `已核实 ${e.verifiedAt || ""}` : "—";
  }

  async function loadDirectory() {
    try {
      const data = await api("GET", "/api/admin/directory");
      state.entries = data.entries;
      if (state.areas.length === 0) {
        state.areas = data.areas;
        for (const a of data.areas) $("f-area").appendChild(new Option(a, a));
        for (const c of data.categories) $("f-category").appendChild(new Option(CATEGORY[c] || c, c));
      }
      renderDirectory();
      if (state.selected) {
        const again = state.entries.find((e) => e.id === state.selected);
        if (again) fillEditor(again);
      }
    } catch (err) {
      $("dir-count").textContent = err.message;
    }
  }

  function filtered() {
    const area = $("f-area").value;
    const category = $("f-category").value;
    const q = $("f-q").value.trim().toLowerCase();
    const staleOnly = $("f-stale").checked;
    return state.entries.filter(
      (e) =>
        (area === "*" || (area === "" ? e.area === null : e.area === area)) &&
        (!category || e.category === category) &&
        (!staleOnly || e.stale !== null) &&
        (!q ||
          e.id.includes(q) ||
          e.name.toLowerCase().includes(q) ||
          e.keywords.some((k) => k.toLowerCase().includes(q))),
    );
  }

  function renderDirectory() {
    const rows = $("dir-rows");
    clear(rows);
    const list = filtered();
    for (const e of list) {
      const tr = make("tr", e.id === state.selected ? "selected" : "");
      tr.dataset.id = e.id;
      tr.tabIndex = 0;
      tr.appendChild(make("td", "", e.name));
      tr.appendChild(make("td", "", e.area || "全区/全国"));
      tr.appendChild(make("td", "", CATEGORY[e.category] || e.category));
      tr.appendChild(make("td", "", e.phone || ""));
      const flag = make("td", e.stale ? `flag flag-${e.stale}` : "ok", staleLabel(e));
      tr.appendChild(flag);
      tr.addEventListener("click", () => selectEntry(e.id));
      tr.addEventListener("keydown", (ev) => {
        if (ev.key === "Enter") selectEntry(e.id);
      });
      rows.appendChild(tr);
    }
    const stale = state.entries.filter((e) => e.stale !== null).length;
    $("dir-count").textContent = `显示 ${list.length} 条，共 ${state.entries.length} 条；${stale} 条需复核。`;
  }

  for (const id of ["f-area", "f-category", "f-stale"]) $(id).addEventListener("change", renderDirectory);
  $("f-q").addEventListener("input", renderDirectory);

  function selectEntry(id) {
    state.selected = id;
    const e = state.entries.find((x) => x.id === id);
    if (!e) return;
    for (const tr of $("dir-rows").children) tr.classList.toggle("selected", tr.dataset.id === id);
    $("entry-status").textContent = "";
    clear($("entry-errors"));
    fillEditor(e);
  }

  function fillEditor(e) {
    $("entry-form").hidden = false;
    $("entry-title").textContent = e.name;
    $("entry-meta").textContent =
      `${e.id} · ${CATEGORY[e.category] || e.category} · ${e.area || "全区/全国"} · 来源：${e.source}`;
    $("e-name").value = e.name;
    $("e-phone").value = e.phone || "";
    $("e-address").value = e.address || "";
    $("e-hours").value = e.hours || "";
    $("e-description").value = e.description;
    $("e-howToReach").value = e.howToReach || "";
    $("e-keywords").value = e.keywords.join("、");
    for (const id of ["e-phone", "e-address", "e-hours"]) $(id).disabled = !e.verified;
    $("verify-state").textContent = e.verified
      ? `已核实：${e.verifiedBy || ""} ${e.verifiedAt || ""}${e.stale === "old" ? "（已超过180天，请复核）" : ""}`
      : "未核实：核实后才能填写电话、地址和开放时间。";
    $("v-source").value = e.verified ? e.source : "";
    $("v-by").value = "";
    $("v-at").value = new Date(Date.now() + 8 * 3600000).toISOString().slice(0, 10);
    $("unverify-btn").hidden = !e.verified;
  }

  function showIssues(listEl, err) {
    clear(listEl);
    for (const issue of err.issues || []) {
      const where = [issue.line ? `第 ${issue.line} 行` : "", issue.id || "", issue.field || ""]
        .filter(Boolean)
        .join(" · ");
      listEl.appendChild(make("li", "", where ? `${where}：${issue.message}` : issue.message));
    }
  }

  async function saveEntry(path, body, done) {
    const status = $("entry-status");
    clear($("entry-errors"));
    status.textContent = "正在保存…";
    try {
      const data = await api(path.method, path.url, body);
      status.textContent = `${done}，已立即生效。`;
      const i = state.entries.findIndex((x) => x.id === data.entry.id);
      if (i >= 0) state.entries[i] = data.entry;
      renderDirectory();
      fillEditor(data.entry);
    } catch (err) {
      status.textContent = err.message;
      showIssues($("entry-errors"), err);
    }
  }

  $("entry-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const id = state.selected;
    const e = state.entries.find((x) => x.id === id);
    if (!e) return;
    const body = {
      name: $("e-name").value,
      description: $("e-description").value,
      howToReach: $("e-howToReach").value,
      keywords: $("e-keywords")
        .value.split(/[、,，|]/)
        .map((k) => k.trim())
        .filter(Boolean),
    };
    if (e.verified) {
      body.phone = $("e-phone").value;
      body.address = $("e-address").value;
      body.hours = $("e-hours").value;
    }
    saveEntry({ method: "PUT", url: `/api/admin/directory/${encodeURIComponent(id)}` }, body, "已保存");
  });

  $("verify-btn").addEventListener("click", () => {
    const id = state.selected;
    const body = { source: $("v-source").value.trim() };
    if ($("v-by").value.trim()) body.verifiedBy = $("v-by").value.trim();
    if ($("v-at").value) body.verifiedAt = $("v-at").value;
    saveEntry({ method: "POST", url: `/api/admin/directory/${encodeURIComponent(id)}/verify` }, body, "已标记为已核实");
  });

  $("unverify-btn").addEventListener("click", () => {
    if (!window.confirm("撤销核实会同时清空电话、地址和开放时间。确定吗？")) return;
    const id = state.selected;
    saveEntry(
      { method: "POST", url: `/api/admin/directory/${encodeURIComponent(id)}/unverify` },
      undefined,
      "已撤销核实",
    );
  });

  // CSV import: a dry run first shows what would change (or every error by line).
  $("import-file").addEventListener("change", async () => {
    const file = $("import-file").files[0];
    if (!file) return;
    const csv = await file.text();
    $("import-file").value = "";
    await previewImport(csv);
  });

  async function previewImport(csv) {
    state.importCsv = csv;
    $("import-box").hidden = false;
    clear($("import-changes"));
    clear($("import-errors"));
    $("import-confirm").hidden = true;
    try {
      const data = await api("POST", "/api/admin/directory/import", { csv, dryRun: true });
      $("import-summary").textContent =
        data.changes.length === 0 ? "没有变化：文件与当前目录一致。" : `将修改 ${data.changes.length} 个条目：`;
      for (const c of data.changes) {
        const kind = c.kind === "added" ? "新增" : "修改";
        $("import-changes").appendChild(
          make("li", "", `${kind} ${c.id}${c.fields.length ? `：${c.fields.join("、")}` : ""}`),
        );
      }
      $("import-confirm").hidden = data.changes.length === 0;
    } catch (err) {
      $("import-summary").textContent = err.message;
      showIssues($("import-errors"), err);
    }
  }

  $("import-confirm").addEventListener("click", async () => {
    try {
      const data = await api("POST", "/api/admin/directory/import", { csv: state.importCsv, dryRun: false });
      $("import-summary").textContent = `已导入，修改了 ${data.changes.length} 个条目，已立即生效。`;
      $("import-confirm").hidden = true;
      await loadDirectory();
    } catch (err) {
      $("import-summary").textContent = err.message;
      showIssues($("import-errors"), err);
    }
  });
  $("import-cancel").addEventListener("click", () => {
    $("import-box").hidden = true;
    state.importCsv = null;
  });

  // ------------------------------------------------------------------ gaps

  async function loadGaps() {
    try {
      const [gaps, curated] = await Promise.all([api("GET", "/api/admin/gaps"), api("GET", "/api/admin/curated")]);
      if (state.entries.length === 0) await loadDirectory();
      renderClusters(gaps.clusters);
      const down = $("downvoted");
      clear(down);
      if (gaps.downVoted.length === 0) down.appendChild(make("li", "muted", "暂无。"));
      for (const d of gaps.downVoted) {
        const li = make("li", "downvoted");
        li.appendChild(make("p", "q", `问：${d.question || "（原问题已按保存期限删除）"}`));
        li.appendChild(make("p", "a", `答：${d.reply}`));
        down.appendChild(li);
      }
      const cur = $("curated");
      clear(cur);
      if (curated.curated.length === 0) cur.appendChild(make("li", "muted", "暂无。"));
      for (const c of curated.curated) {
        const li = make("li", "");
        li.appendChild(make("span", "", `${c.wording}（例：${c.examples.slice(0, 2).join("；")}）`));
        const off = make("button", "secondary small", "停用");
        off.type = "button";
        off.addEventListener("click", async () => {
          await api("DELETE", `/api/admin/curated/${encodeURIComponent(c.id)}`);
          loadGaps();
        });
        li.appendChild(off);
        cur.appendChild(li);
      }
    } catch (err) {
      $("clusters").textContent = err.message;
    }
  }

  function renderClusters(clusters) {
    const box = $("clusters");
    clear(box);
    if (clusters.length === 0) box.appendChild(make("p", "muted", "暂无待处理的问题。"));
    for (const c of clusters) box.appendChild(clusterCard(c));
  }

  function clusterCard(c) {
    const card = make("article", "card cluster");
    card.dataset.key = c.key;
    const head = make("h3", "", `${c.count} 次`);
    head.appendChild(make("span", "muted", `（答不上 ${c.reasons.unknown} · 答得不好 ${c.reasons.weak}）`));
    card.appendChild(head);
    const ex = make("ul", "examples");
    for (const e of c.examples) ex.appendChild(make("li", "", e));
    card.appendChild(ex);

    const form = make("form", "curate");
    form.noValidate = true;
    const wording = make("textarea", "wording");
    wording.rows = 3;
    wording.placeholder = "答复内容（居民会看到这段话）";
    form.appendChild(make("label", "", "答复"));
    form.appendChild(wording);

    const kind = make("div", "kind");
    const mk = (value, text) => {
      const label = make("label", "check");
      const radio = make("input");
      radio.type = "radio";
      radio.name = `kind-${c.key}`;
      radio.value = value;
      label.appendChild(radio);
      label.appendChild(document.createTextNode(` ${text}`));
      kind.appendChild(label);
      return radio;
    };
    const rClause = mk("clause", "引用规划条款");
    const rService = mk("service", "引用服务目录条目");
    rClause.checked = true;
    form.appendChild(kind);

    const clauseBox = make("div", "clause-box");
    const search = make("input", "clause-search");
    search.type = "search";
    search.placeholder = "搜索规划条款，例如：托育 服务";
    const results = make("ul", "clause-results");
    clauseBox.appendChild(search);
    clauseBox.appendChild(results);
    form.appendChild(clauseBox);
    let chosenClause = null;
    let timer = 0;
    search.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(async () => {
        const q = search.value.trim();
        clear(results);
        if (!q) return;
        const data = await api("GET", `/api/admin/clauses?q=${encodeURIComponent(q)}`);
        for (const cl of data.clauses) {
          const li = make("li", "clause-option");
          li.dataset.id = cl.id;
          li.tabIndex = 0;
          li.textContent = `${cl.plan === "women" ? "妇女规划" : "儿童规划"} ${cl.domain || "总则"} ${cl.number ? `（${cl.number}）` : ""}${cl.title}`;
          const pick = () => {
            chosenClause = cl.id;
            for (const o of results.children) o.classList.toggle("chosen", o === li);
          };
          li.addEventListener("click", pick);
          li.addEventListener("keydown", (ev) => {
            if (ev.key === "Enter") pick();
          });
          results.appendChild(li);
        }
      }, 250);
    });

    const serviceSelect = make("select", "service-select");
    serviceSelect.hidden = true;
    serviceSelect.appendChild(new Option("选择服务目录条目…", ""));
    for (const e of state.entries) serviceSelect.appendChild(new Option(`${e.name}（${e.area || "全区"}）`, e.id));
    form.appendChild(serviceSelect);
    const switchKind = () => {
      clauseBox.hidden = !rClause.checked;
      serviceSelect.hidden = !rService.checked;
    };
    rClause.addEventListener("change", switchKind);
    rService.addEventListener("change", switchKind);

    const submit = make("button", "", "保存答复");
    submit.type = "submit";
    const status = make("p", "status");
    form.appendChild(submit);
    form.appendChild(status);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const body = { questionIds: c.ids, wording: wording.value };
      if (rClause.checked && chosenClause) body.citationId = chosenClause;
      if (rService.checked && serviceSelect.value) body.serviceId = serviceSelect.value;
      submit.disabled = true;
      try {
        await api("POST", "/api/admin/curated", body);
        status.textContent = "已保存，类似的问题将用这条答复回答。";
        setTimeout(loadGaps, 800);
      } catch (err) {
        status.textContent = err.message;
      } finally {
        submit.disabled = false;
      }
    });
    card.appendChild(form);
    return card;
  }

  // ------------------------------------------------------------------ stats

  function statsQuery() {
    const params = new URLSearchParams();
    if ($("s-from").value) params.set("from", $("s-from").value);
    if ($("s-to").value) params.set("to", $("s-to").value);
    const q = params.toString();
    return q ? `?${q}` : "";
  }

  function chart(id, config) {
    if (typeof window.Chart !== "function") return;
    if (state.charts[id]) state.charts[id].destroy();
    state.charts[id] = new window.Chart($(id), config);
  }

  const seriesDatasets = (series) =>
    series.slice(0, 9).map((s, i) => ({ label: s.name, data: s.counts, backgroundColor: COLORS[i % COLORS.length] }));

  async function loadStats() {
    let s;
    try {
      s = await api("GET", `/api/admin/stats${statsQuery()}`);
    } catch (err) {
      $("s-totals").textContent = err.message;
      return;
    }
    $("s-csv").href = `/api/admin/stats.csv${statsQuery()}`;
    const t = s.totals;
    const totals = $("s-totals");
    clear(totals);
    const tile = (label, value) => {
      const d = make("div", "tile");
      d.appendChild(make("span", "v", value));
      d.appendChild(make("span", "l", label));
      totals.appendChild(d);
    };
    tile("问题", t.questions);
    tile("未能回答", t.unanswered);
    tile("未答比例", t.unansweredRate === null ? "—" : `${Math.round(t.unansweredRate * 1000) / 10}%`);
    tile("转介个案", t.escalations);
    tile("有帮助 / 没帮助", `${t.helpful} / ${t.unhelpful}`);
    const stacked = {
      responsive: true,
      maintainAspectRatio: false,
      scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } },
    };
    chart("chart-domain", {
      type: "bar",
      data: { labels: s.months, datasets: seriesDatasets(s.questionsByDomain) },
      options: stacked,
    });
    chart("chart-area", {
      type: "bar",
      data: { labels: s.months, datasets: seriesDatasets(s.questionsByArea) },
      options: stacked,
    });
    chart("chart-unanswered", {
      type: "line",
      data: {
        labels: s.months,
        datasets: [
          {
            label: "未答比例（%）",
            data: s.unansweredByMonth.map((u) => (u.rate === null ? null : Math.round(u.rate * 1000) / 10)),
            borderColor: COLORS[0],
            backgroundColor: COLORS[0],
          },
        ],
      },
      options: { responsive: true, maintainAspectRatio: false, scales: { y: { beginAtZero: true } } },
    });
    chart("chart-category", {
      type: "doughnut",
      data: {
        labels: s.escalations.byCategory.map((c) => CASE_CATEGORY[c.key] || c.key),
        datasets: [{ data: s.escalations.byCategory.map((c) => c.count), backgroundColor: COLORS }],
      },
      options: { responsive: true, maintainAspectRatio: false },
    });
    chart("chart-severity", {
      type: "bar",
      data: {
        labels: s.escalations.bySeverity.map((c) => SEVERITY[c.key] || c.key),
        datasets: [{ label: "个案", data: s.escalations.bySeverity.map((c) => c.count), backgroundColor: COLORS[1] }],
      },
      options: { responsive: true, maintainAspectRatio: false, scales: { y: { beginAtZero: true } } },
    });
    chart("chart-durations", {
      type: "bar",
      data: {
        labels: ["认领（中位数）", "认领（P90）", "结案（中位数）", "结案（P90）"],
        datasets: [
          {
            label: "分钟",
            data: [
              s.timeToClaim.medianMinutes,
              s.timeToClaim.p90Minutes,
              s.timeToClose.medianMinutes,
              s.timeToClose.p90Minutes,
            ],
            backgroundColor: [COLORS[2], COLORS[2], COLORS[3], COLORS[3]],
          },
        ],
      },
      options: { responsive: true, maintainAspectRatio: false, scales: { y: { beginAtZero: true } } },
    });
  }
  $("s-refresh").addEventListener("click", loadStats);

  // ------------------------------------------------------------------ boot

  (async () => {
    try {
      const data = await api("GET", "/api/staff/me");
      await startSession(data);
    } catch (_e) {
      showLogin("");
    }
  })();
})();
