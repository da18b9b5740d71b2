// The operator's dashboard: reads /ops/data with the page's own token every few seconds and draws
// stock, alerts, forecast against actual, price changes and the experiment's arms on canvases.
const token = new URLSearchParams(location.search).get("token") || "";
const NAVY = "#1f2f5c", TEAL = "#1f7f80", RED = "#c0282d", GREY = "#8a8d91";

function canvas(id) {
  const element = document.getElementById(id);
  const scale = window.devicePixelRatio || 1;
  element.width = element.clientWidth * scale;
  element.height = element.clientHeight * scale;
  const g = element.getContext("2d");
  g.scale(scale, scale);
  g.font = "12px system-ui, sans-serif";
  return { g, w: element.clientWidth, h: element.clientHeight };
}

function bars({ g, w, h }, labels, series, colours, { stacked = false, line = null, lineColour = NAVY } = {}) {
  const left = 44, bottom = 22, top = 8, inner = w - left - 8, height = h - bottom - top;
  const totals = labels.map((_, i) => stacked ? series.reduce((s, v) => s + v[i], 0) : Math.max(...series.map((v) => v[i])));
  const peak = Math.max(1, ...totals, ...(line || []).filter((v) => v != null));
  const y = (v) => top + height * (1 - v / peak);
  g.strokeStyle = "#ddd"; g.fillStyle = "#555";
  for (let k = 0; k <= 4; k++) {
    const value = peak * k / 4;
    g.beginPath(); g.moveTo(left, y(value)); g.lineTo(w - 8, y(value)); g.stroke();
    g.fillText(value >= 10 ? value.toFixed(0) : value.toFixed(1), 4, y(value) + 4);
  }
  const slot = inner / labels.length, width = Math.max(2, slot * (stacked ? 0.7 : 0.8 / series.length));
  labels.forEach((label, i) => {
    let base = 0;
    series.forEach((values, s) => {
      const x = left + i * slot + (stacked ? slot * 0.15 : slot * 0.1 + s * width);
      g.fillStyle = colours[s];
      const from = stacked ? base : 0;
      g.fillRect(x, y(from + values[i]), width, y(from) - y(from + values[i]));
      base += values[i];
    });
    if (labels.length <= 12 || i % Math.ceil(labels.length / 8) === 0) {
      g.fillStyle = "#333";
      g.fillText(String(label), left + i * slot + 2, h - 6);
    }
  });
  if (line) {
    g.strokeStyle = lineColour; g.lineWidth = 2; g.beginPath();
    let started = false;
    line.forEach((v, i) => {
      if (v == null) return;
      const x = left + (i + 0.5) * slot;
      started ? g.lineTo(x, y(v)) : g.moveTo(x, y(v));
      started = true;
    });
    g.stroke(); g.lineWidth = 1;
  }
}

function table(id, rows, columns) {
  const element = document.getElementById(id);
  if (!rows.length) { element.innerHTML = "<tr><td class='note'>none</td></tr>"; return; }
  const head = "<tr>" + columns.map(([key, title]) => `<th>${title}</th>`).join("") + "</tr>";
  const body = rows.map((row) => "<tr>" + columns.map(([key, , format]) => {
    const value = format ? format(row[key], row) : row[key];
    return `<td class="${typeof row[key] === "number" ? "n" : ""}">${value}</td>`;
  }).join("") + "</tr>").join("");
  element.innerHTML = head + body;
}

function draw(data) {
  const lowSizes = data.stock.reduce((s, c) => s + c.low, 0);
  document.getElementById("summary").textContent =
    `${data.alerts.length} open alerts · ${data.reorder.length} reorders waiting · ${lowSizes} sizes low · ` +
    `forecast ${data.forecast_vs_actual.next_day.toFixed(1)} units tomorrow`;
  const stock = canvas("stock");
  bars(stock, data.stock.map((c) => c.category), [data.stock.map((c) => c.units)], [TEAL]);
  data.stock.forEach((c, i) => {
    if (!c.low) return;
    const slot = (stock.w - 52) / data.stock.length;
    stock.g.fillStyle = RED;
    stock.g.fillRect(44 + i * slot + slot * 0.1, 10, slot * 0.8, 14);
    stock.g.fillStyle = "#fff";
    stock.g.fillText(`${c.low} low`, 44 + i * slot + slot * 0.15, 21);
  });
  const f = data.forecast_vs_actual;
  bars(canvas("forecast"), f.day, [f.actual], [GREY], { line: f.forecast });
  table("alerts", data.alerts, [["product", "product"], ["size", "size"], ["stock", "stock", (v) => `<span class="low">${v}</span>`],
    ["reorder_point", "reorder point", (v) => v.toFixed(2)], ["raised", "raised", (v) => v.replace("T", " ").slice(0, 19)]]);
  table("reorder", data.reorder, [["id", "id"], ["product", "product"], ["size", "size"], ["quantity", "order"]]);
  table("prices", data.price_changes, [["product", "product"], ["list_price", "list", (v) => v.toFixed(2)],
    ["old_price", "was", (v) => v.toFixed(2)], ["price", "now", (v) => v.toFixed(2)], ["rule", "rule"]]);
  const lift = document.getElementById("lift");
  if (data.ab) {
    const arms = Object.keys(data.ab.arms);
    const perShopper = arms.map((a) => data.ab.arms[a].revenue / Math.max(1, data.ab.arms[a].shoppers));
    bars(canvas("experiment"), arms.map((a) => `${a} (${data.ab.arms[a].shoppers} shoppers)`), [perShopper], [NAVY]);
    const l = data.ab.lift_revenue_pct;
    lift.textContent = `${data.ab.experiment}: revenue per shopper, treatment over control ` +
      (l.estimate == null ? "not measurable yet" : `${l.estimate}% (95% interval ${l.ci95[0]} to ${l.ci95[1]}%)`) +
      `; units ${arms.map((a) => `${a} ${data.ab.arms[a].units}`).join(", ")}`;
  } else {
    const c = canvas("experiment");
    c.g.fillStyle = "#666";
    c.g.fillText("no experiment running (assets/operations.json: experiment.active)", 10, 30);
    lift.textContent = "";
  }
}

async function refresh() {
  try {
    const response = await fetch(`/ops/data?token=${encodeURIComponent(token)}`, { cache: "no-store" });
    if (!response.ok) throw new Error(`${response.status} ${await response.text()}`);
    draw(await response.json());
    window.opsReady = true;
  } catch (error) {
    document.getElementById("summary").textContent = `cannot read the store's figures: ${error.message}`;
  }
}

refresh();
setInterval(refresh, 5000);
