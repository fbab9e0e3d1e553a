// The overview page: each panel is one query to the public GraphQL endpoint, sent with the
// key the user typed (kept in this tab's sessionStorage only), drawn with Chart.js and shown
// as a table whose cells carry the numbers the query returned (`data-value`).
// `window.cdpOverview` exposes the queries and their answers, so a test can run the same
// queries and compare.
(function () {
  "use strict";
  const config = JSON.parse(document.getElementById("cdp-overview-config").textContent);
  const panelsRoot = document.getElementById("panels");
  const statusLine = document.getElementById("status");
  const COLORS = ["#3366cc", "#dc3912", "#ff9900", "#109618", "#990099", "#0099c6",
                  "#dd4477", "#66aa00", "#b82e2e", "#316395", "#994499"];
  const SENTIMENT_COLORS = { positive: "#109618", neutral: "#9e9e9e", negative: "#dc3912" };

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (name === "text") node.textContent = value;
      else node.setAttribute(name, value);
    }
    for (const child of children || []) node.appendChild(child);
    return node;
  }

  // A table of rows; a number cell carries `data-value` (what the query returned).
  function table(headers, rows, className) {
    const head = el("tr", {}, headers.map((h) => el("th", { text: h })));
    const body = rows.map((row) =>
      el("tr", {}, row.map((cell, i) => {
        if (typeof cell === "number") {
          return el("td", { "data-value": String(cell), text: cell.toLocaleString("en") });
        }
        if (cell === null || cell === undefined) return el("td", { text: "–" });
        return el(i === 0 ? "th" : "td", { text: String(cell) });
      })));
    return el("table", className ? { class: className } : {}, [el("thead", {}, [head]),
      el("tbody", {}, body)]);
  }

  function details(tableNode) {
    return el("details", {}, [el("summary", { text: "Numbers" }), tableNode]);
  }

  function chart(type, labels, datasets, options) {
    const canvas = el("canvas");
    // eslint-disable-next-line no-undef
    new Chart(canvas, {
      type,
      data: { labels, datasets },
      options: Object.assign({ animation: false, responsive: true,
        plugins: { legend: { display: datasets.length > 1 } } }, options || {}),
    });
    return canvas;
  }

  function tiles(items) {
    return el("div", { class: "tiles" }, items.map(([label, value]) =>
      el("div", { class: "tile" }, [
        el("div", { class: "value", "data-value": String(value),
          text: value.toLocaleString("en") }),
        el("div", { class: "label", text: label }),
      ])));
  }

  function heat(value, max) {
    const share = max > 0 ? value / max : 0;
    return `rgba(51, 102, 204, ${(0.08 + 0.85 * share).toFixed(2)})`;
  }

  const PANELS = [
    {
      id: "totals",
      title: "Records and profiles",
      query: `{ overview { totals { profiles mergedProfiles sourceRecords resolvedRecords
        identifiers sources channels } } }`,
      render(data) {
        const t = data.overview.totals;
        return [
          el("p", { class: "note", text:
            `${t.sourceRecords.toLocaleString("en")} records from ${t.sources} sources in ` +
            `${t.channels} channels became ${t.profiles.toLocaleString("en")} profiles.` }),
          tiles([["profiles", t.profiles], ["source records", t.sourceRecords],
            ["resolved records", t.resolvedRecords], ["merged profiles", t.mergedProfiles],
            ["identifiers", t.identifiers], ["sources", t.sources], ["channels", t.channels]]),
        ];
      },
    },
    {
      id: "channels",
      title: "Profiles by number of channels",
      query: `{ overview { profilesByChannelCount { key profiles }
        profilesByChannel { key profiles } } }`,
      render(data) {
        const counts = data.overview.profilesByChannelCount;
        const by = data.overview.profilesByChannel;
        return [
          el("p", { class: "note", text: "How many channels each person was seen in." }),
          chart("bar", counts.map((c) => `${c.key} channel(s)`),
            [{ label: "profiles", data: counts.map((c) => c.profiles),
               backgroundColor: COLORS[0] }]),
          details(el("div", {}, [
            table(["channels", "profiles"], counts.map((c) => [c.key, c.profiles])),
            table(["seen in channel", "profiles"], by.map((c) => [c.key, c.profiles])),
          ])),
        ];
      },
    },
    {
      id: "nps",
      title: "NPS and sentiment per week",
      query: `{ feedbackAnalytics { summary { total nps npsResponses promoters passives
        detractors positive neutral negative }
        trend(interval: WEEK) { period total nps npsResponses positive neutral negative } } }`,
      render(data) {
        const a = data.feedbackAnalytics;
        const weeks = a.trend;
        const s = a.summary;
        const nps = s.nps === null ? "no survey answers" : `NPS ${s.nps.toFixed(1)}`;
        return [
          el("p", { class: "note", text:
            `${s.total.toLocaleString("en")} feedback items; ${nps} over ` +
            `${s.npsResponses.toLocaleString("en")} survey answers.` }),
          chart("bar", weeks.map((w) => w.period), [
            { type: "line", label: "NPS", data: weeks.map((w) => w.nps), yAxisID: "nps",
              borderColor: COLORS[4], backgroundColor: COLORS[4] },
            ...["positive", "neutral", "negative"].map((label) => ({
              label, data: weeks.map((w) => w[label]), stack: "sentiment",
              backgroundColor: SENTIMENT_COLORS[label] })),
          ], { scales: { x: { stacked: true }, y: { stacked: true },
                nps: { position: "right", min: -100, max: 100 } } }),
          details(table(["week", "feedback", "NPS", "survey answers", "positive", "neutral",
            "negative"], weeks.map((w) => [w.period, w.total, w.nps, w.npsResponses,
            w.positive, w.neutral, w.negative]))),
        ];
      },
    },
    {
      id: "topics",
      title: "Sentiment by topic",
      query: `{ positive: feedbackAnalytics(filter: {sentiments: [POSITIVE]}) {
          counts(by: TOPIC) { key count } }
        neutral: feedbackAnalytics(filter: {sentiments: [NEUTRAL]}) {
          counts(by: TOPIC) { key count } }
        negative: feedbackAnalytics(filter: {sentiments: [NEGATIVE]}) {
          counts(by: TOPIC) { key count } } }`,
      render(data) {
        const labels = ["positive", "neutral", "negative"];
        const topics = [...new Set(labels.flatMap((l) => data[l].counts.map((c) => c.key)))]
          .sort();
        const value = (label, topic) => {
          const found = data[label].counts.find((c) => c.key === topic);
          return found ? found.count : 0;
        };
        const present = (label, topic) =>
          data[label].counts.find((c) => c.key === topic) ? value(label, topic) : null;
        return [
          el("p", { class: "note", text: "Feedback items per topic and sentiment." }),
          chart("bar", topics, labels.map((label) => ({ label,
            data: topics.map((t) => value(label, t)), backgroundColor: SENTIMENT_COLORS[label] })),
            { indexAxis: "y", scales: { x: { stacked: true }, y: { stacked: true } } }),
          details(table(["topic", ...labels],
            topics.map((t) => [t, ...labels.map((l) => present(l, t))]))),
        ];
      },
    },
    {
      id: "rfm",
      title: "RFM grid",
      query: `{ codes: segmentBreakdown(by: "rfmCode") { value count }
        named: segmentBreakdown(by: "rfmSegment") { value count } }`,
      render(data) {
        // Recency (rows, 5 = most recent) by frequency (columns); each cell adds up the
        // monetary scores. The exact counts per RFM code and per named segment are below.
        const grid = {};
        let max = 0;
        for (const group of data.codes) {
          if (!group.value) continue;
          const key = group.value.slice(0, 2);
          grid[key] = (grid[key] || 0) + group.count;
          max = Math.max(max, grid[key]);
        }
        const rows = [5, 4, 3, 2, 1].map((r) => el("tr", {}, [el("th", { text: `R${r}` }),
          ...[1, 2, 3, 4, 5].map((f) => {
            const n = grid[`${r}${f}`] || 0;
            const cell = el("td", { class: "heat", title: `R${r} F${f}: ${n} customers`,
              text: n ? n.toLocaleString("en") : "" });
            cell.style.background = heat(n, max);
            return cell;
          })]));
        const head = el("tr", {}, [el("th", { text: "" }),
          ...[1, 2, 3, 4, 5].map((f) => el("th", { text: `F${f}` }))]);
        const customers = data.codes.filter((g) => g.value)
          .reduce((sum, g) => sum + g.count, 0);
        const named = data.named.filter((g) => g.value).sort((a, b) => b.count - a.count);
        return [
          el("p", { class: "note", text: customers
            ? "Customers who ordered, by recency (rows) and frequency (columns) score."
            : "No customer has ordered yet." }),
          el("table", { class: "heatmap" }, [el("thead", {}, [head]), el("tbody", {}, rows)]),
          details(el("div", {}, [
            table(["RFM segment", "customers"], named.map((g) => [g.value, g.count])),
            table(["RFM code", "customers"], data.codes.filter((g) => g.value)
              .map((g) => [g.value, g.count])),
          ])),
        ];
      },
    },
    {
      id: "value",
      title: "Value tiers and lifecycle stages",
      query: `{ tiers: segmentBreakdown(by: "valueTier") { value count }
        stages: segmentBreakdown(by: "lifecycleStage") { value count } }`,
      render(data) {
        const label = (g) => g.value || "none";
        return [
          el("p", { class: "note", text:
            "Active profiles by value tier (from the RFM scores) and by lifecycle stage." }),
          chart("bar", data.tiers.map(label), [{ label: "profiles",
            data: data.tiers.map((g) => g.count), backgroundColor: COLORS[2] }]),
          chart("bar", data.stages.map(label), [{ label: "profiles",
            data: data.stages.map((g) => g.count), backgroundColor: COLORS[3] }]),
          details(el("div", {}, [
            table(["value tier", "profiles"], data.tiers.map((g) => [label(g), g.count])),
            table(["lifecycle stage", "profiles"], data.stages.map((g) => [label(g), g.count])),
          ])),
        ];
      },
    },
    {
      id: "segments",
      title: "Segment sizes over time",
      query: `{ segments { id name size builtIn
        sizeHistory(first: 50) { measuredAt size entered exited } } }`,
      render(data) {
        const segments = data.segments.filter((s) => s.sizeHistory.length)
          .sort((a, b) => b.size - a.size).slice(0, 8);
        const times = [...new Set(segments.flatMap((s) => s.sizeHistory.map((h) => h.measuredAt)))]
          .sort();
        return [
          el("p", { class: "note", text: segments.length
            ? "Members after each refresh, for the largest segments."
            : "No segment has been refreshed yet." }),
          chart("line", times.map((t) => t.slice(0, 16).replace("T", " ")),
            segments.map((s, i) => ({ label: s.name, borderColor: COLORS[i % COLORS.length],
              backgroundColor: COLORS[i % COLORS.length], spanGaps: true,
              data: times.map((t) => {
                const found = s.sizeHistory.find((h) => h.measuredAt === t);
                return found ? found.size : null;
              }) })), { plugins: { legend: { display: true } } }),
          details(table(["segment", "members now", "refreshes", "last entered",
            "last exited"], data.segments.map((s) => [s.name, s.size, String(s.sizeHistory.length),
            s.sizeHistory.length ? s.sizeHistory[0].entered : null,
            s.sizeHistory.length ? s.sizeHistory[0].exited : null]))),
        ];
      },
    },
    {
      id: "campaigns",
      title: "Campaign funnels",
      query: `{ campaigns { id firstSentAt email { sent delivered uniqueOpens uniqueClicks
        openRate clickThroughRate } conversions { converters orders conversionRate
        revenue { amount currency } } } }`,
      render(data) {
        const campaigns = data.campaigns.slice(0, 8);
        const steps = [["delivered", (c) => c.email.delivered],
          ["opened", (c) => c.email.uniqueOpens], ["clicked", (c) => c.email.uniqueClicks],
          ["converted", (c) => c.conversions.converters]];
        const pct = (rate) => (rate === null ? null : `${(100 * rate).toFixed(1)}%`);
        const revenue = (c) => c.conversions.revenue.map((m) => `${m.amount} ${m.currency}`)
          .join(", ") || null;
        return [
          el("p", { class: "note", text: campaigns.length
            ? "People per step of each campaign's funnel (unique opens and clicks; " +
              "conversions are orders within the attribution window of a click)."
            : "No email campaign yet." }),
          chart("bar", campaigns.map((c) => c.id), steps.map(([label, get], i) => ({
            label, data: campaigns.map(get), backgroundColor: COLORS[i] }))),
          details(table(["campaign", "sent", "delivered", "opened", "clicked", "converted",
            "orders", "open rate", "click rate", "revenue"], campaigns.map((c) => [c.id,
            c.email.sent, c.email.delivered, c.email.uniqueOpens, c.email.uniqueClicks,
            c.conversions.converters, c.conversions.orders, pct(c.email.openRate),
            pct(c.email.clickThroughRate), revenue(c)]))),
        ];
      },
    },
  ];

  const state = { queries: {}, results: {}, errors: {}, done: false };
  for (const panel of PANELS) state.queries[panel.id] = panel.query;
  window.cdpOverview = state;

  async function ask(key, query) {
    const response = await fetch(config.endpoint, {
      method: "POST",
      headers: Object.assign({ "content-type": "application/json",
                 accept: "application/graphql-response+json, application/json" },
                 key ? { authorization: `Bearer ${key}` } : {}),
      body: JSON.stringify({ query }),
    });
    const body = await response.json();
    if (body.errors && body.errors.length) throw new Error(body.errors[0].message);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return body.data;
  }

  let generation = 0;

  // Load every panel; a later load (a new key) supersedes an earlier one still running.
  async function load(key) {
    const mine = ++generation;
    state.done = false;
    state.results = {};
    state.errors = {};
    panelsRoot.replaceChildren();
    statusLine.className = "";
    statusLine.textContent = "Loading...";
    await Promise.all(PANELS.map(async (panel) => {
      const section = el("section", { class: "panel", id: `panel-${panel.id}` },
        [el("h2", { text: panel.title })]);
      panelsRoot.appendChild(section);
      try {
        const data = await ask(key, panel.query);
        if (mine !== generation) return;
        state.results[panel.id] = data;
        for (const node of panel.render(data)) section.appendChild(node);
      } catch (error) {
        if (mine !== generation) return;
        state.errors[panel.id] = String(error.message || error);
        section.appendChild(el("p", { class: "problem", text: state.errors[panel.id] }));
      }
    }));
    if (mine !== generation) return;
    const failed = Object.keys(state.errors).length;
    statusLine.className = failed ? "error" : "";
    statusLine.textContent = failed
      ? `${failed} of ${PANELS.length} panels could not load: ${Object.values(state.errors)[0]}`
      : `Loaded ${PANELS.length} panels.`;
    state.done = true;
  }

  const form = document.getElementById("key-form");
  const input = document.getElementById("api-key");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    sessionStorage.setItem("cdp-api-key", input.value.trim());
    load(input.value.trim());
  });
  // Without a key the page still tries: a server in open mode (the demo) needs none.
  const saved = sessionStorage.getItem("cdp-api-key") || "";
  input.value = saved;
  load(saved);
})();
