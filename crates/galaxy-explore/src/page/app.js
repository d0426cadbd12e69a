// galaxy explore: the page. Plain JavaScript, no dependencies (the page must work offline); every number
// shown comes from the server's JSON API (/api), which also validates every value.
"use strict";

// Controls: slider range (log: the slider moves in log10), number-box limits are the API's.
const CONTROLS = [
  { key: "flux", label: "flux (counts)", min: 1e3, max: 1e7, log: true, value: 1e5 },
  { key: "sersic_index", label: "Sérsic n", min: 0.3, max: 6.2, step: 0.01, value: 3.0 },
  { key: "half_light_radius", label: "hlr (arcsec)", min: 0.02, max: 2.0, step: 0.005, value: 0.3 },
  { key: "q", label: "axis ratio q", min: 0.06, max: 1.0, step: 0.005, value: 0.0 },
  { key: "angle", label: "angle (deg)", min: 0, max: 180, step: 0.5, value: 0.0 },
  { key: "g1", label: "g1", min: -0.9, max: 0.9, step: 0.001, value: -0.069 },
  { key: "g2", label: "g2", min: -0.9, max: 0.9, step: 0.001, value: 0.15 },
  { key: "psf_fwhm", label: "PSF FWHM (\")", min: 0.1, max: 3.0, step: 0.01, value: 0.5 },
  { key: "psf_beta", label: "PSF beta", min: 1.5, max: 10, step: 0.05, value: 2.0 },
  { key: "sigma", label: "noise sigma", min: 1, max: 2000, log: true, value: 200 },
  { key: "seed", label: "noise seed", min: 0, max: 1000, step: 1, value: 0, integer: true },
  { key: "size", label: "stamp (pixels)", min: 16, max: 192, step: 1, value: 64, integer: true },
  { key: "pixel_scale", label: "pixel (arcsec)", min: 0.02, max: 1.0, step: 0.005, value: 0.23 },
];
const SCENE_KEYS = ["flux", "sersic_index", "half_light_radius", "g1", "g2", "psf_fwhm", "psf_beta",
  "sigma", "seed", "size", "pixel_scale"];
const PARAMS = ["flux", "sersic_index", "half_light_radius", "g1", "g2"];

const state = Object.fromEntries(CONTROLS.map((c) => [c.key, c.value]));
let mode = "q";
const widgets = {};
let last = null; // the last render response

// --- shear: q and angle <-> g1, g2 (GalSim's reduced shear g = (1 - q) / (1 + q)).
function shearFromQ() {
  const g = (1 - state.q) / (1 + state.q);
  const t = (2 * state.angle * Math.PI) / 180;
  state.g1 = g * Math.cos(t);
  state.g2 = g * Math.sin(t);
}
function qFromShear() {
  const g = Math.hypot(state.g1, state.g2);
  state.q = (1 - g) / (1 + g);
  state.angle = (((0.5 * Math.atan2(state.g2, state.g1) * 180) / Math.PI) + 180) % 180;
}

// --- controls
function fmt(v, c) {
  if (c.integer) return String(Math.round(v));
  if (c.log || Math.abs(v) >= 1e4) return Number(v).toPrecision(4);
  return String(Number(Number(v).toFixed(4)));
}
function buildControls() {
  for (const c of CONTROLS) {
    const box = document.querySelector(`.field[data-field="${c.key}"]`);
    const label = document.createElement("label");
    label.textContent = c.label;
    label.htmlFor = `${c.key}-number`;
    const range = document.createElement("input");
    range.type = "range";
    range.id = `${c.key}-range`;
    range.setAttribute("aria-label", `${c.label} slider`);
    if (c.log) {
      range.min = Math.log10(c.min); range.max = Math.log10(c.max); range.step = 0.01;
    } else {
      range.min = c.min; range.max = c.max; range.step = c.step;
    }
    const number = document.createElement("input");
    number.type = "number";
    number.id = `${c.key}-number`;
    number.step = "any";
    box.append(label, range, number);
    widgets[c.key] = { c, box, range, number };
    range.addEventListener("input", () => {
      const v = c.log ? 10 ** Number(range.value) : Number(range.value);
      setValue(c.key, c.integer ? Math.round(v) : v, "range");
    });
    number.addEventListener("change", () => {
      const v = Number(number.value);
      if (number.value.trim() === "" || !Number.isFinite(v)) { box.classList.add("invalid"); return; }
      setValue(c.key, v, "number");
    });
  }
  document.querySelectorAll('input[name="shape-mode"]').forEach((r) =>
    r.addEventListener("change", () => { mode = r.value; showMode(); syncWidgets(); saveHash(); }));
}
function showMode() {
  document.querySelectorAll(".shape-q").forEach((e) => (e.hidden = mode !== "q"));
  document.querySelectorAll(".shape-g").forEach((e) => (e.hidden = mode !== "g"));
  document.querySelector(`input[name="shape-mode"][value="${mode}"]`).checked = true;
}
function setValue(key, v, from) {
  state[key] = v;
  widgets[key].box.classList.remove("invalid");
  if (key === "q" || key === "angle") shearFromQ();
  if (key === "g1" || key === "g2") qFromShear();
  syncWidgets(from === "range" ? key : null);
  scheduleRender();
}
function syncWidgets(skipRange) {
  for (const { c, range, number } of Object.values(widgets)) {
    const v = state[c.key];
    if (c.key !== skipRange) range.value = c.log ? Math.log10(Math.max(v, 1e-30)) : v;
    if (document.activeElement !== number) number.value = fmt(v, c);
  }
}
function scene() {
  return Object.fromEntries(SCENE_KEYS.map((k) => [k, state[k]]));
}

// --- link that reproduces the state: the scene and the shape mode in the URL's fragment.
function saveHash() {
  const q = new URLSearchParams(Object.entries(scene()).map(([k, v]) => [k, String(v)]));
  q.set("mode", mode);
  history.replaceState(null, "", `#${q}`);
}
function loadHash() {
  const q = new URLSearchParams(location.hash.slice(1));
  for (const k of SCENE_KEYS) if (q.has(k) && Number.isFinite(Number(q.get(k)))) state[k] = Number(q.get(k));
  if (q.get("mode") === "g" || q.get("mode") === "q") mode = q.get("mode");
  qFromShear();
}

// --- API
async function api(path, body) {
  const r = await fetch(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  if (!r.ok) {
    let msg = `${r.status}`;
    try { const e = await r.json(); msg = e.error; if (e.field && widgets[e.field]) widgets[e.field].box.classList.add("invalid"); } catch (_) { /* not JSON */ }
    throw new Error(msg);
  }
  return r;
}
let inFlight = false, pending = false;
function scheduleRender() {
  saveHash();
  if (inFlight) { pending = true; return; }
  renderNow();
}
async function renderNow() {
  inFlight = true;
  try {
    const r = await (await api("/api/render", scene())).json();
    last = r;
    status("");
    drawAll();
    setText("snr", r.snr.toFixed(2)); setText("g1", r.g1.toFixed(4)); setText("g2", r.g2.toFixed(4));
    setText("q", r.q.toFixed(3)); setText("angle", `${r.angle_deg.toFixed(1)}°`);
    document.body.dataset.renders = String(Number(document.body.dataset.renders || 0) + 1);
  } catch (e) {
    status(e.message);
  } finally {
    inFlight = false;
    if (pending) { pending = false; renderNow(); }
  }
}
function status(text) { document.getElementById("status").textContent = text; }
function setText(id, t) { document.getElementById(id).textContent = t; }

// --- images: colour map, stretches, colour bars, pixel read-out
const VIRIDIS = [[68, 1, 84], [72, 40, 120], [62, 74, 137], [49, 104, 142], [38, 130, 142], [31, 158, 137],
  [53, 183, 121], [110, 206, 88], [181, 222, 43], [253, 231, 37]];
function colour(t) {
  t = Math.min(1, Math.max(0, t)) * (VIRIDIS.length - 1);
  const i = Math.min(Math.floor(t), VIRIDIS.length - 2), f = t - i;
  return VIRIDIS[i].map((a, k) => a + f * (VIRIDIS[i + 1][k] - a));
}
const STRETCH = {
  linear: [(x) => x, (y) => y],
  log: [(x) => Math.log10(1 + 1000 * x) / 3.0004, (y) => (10 ** (y * 3.0004) - 1) / 1000],
  asinh: [(x) => Math.asinh(10 * x) / Math.asinh(10), (y) => Math.sinh(y * Math.asinh(10)) / 10],
};
const panels = {};
function buildPanel(name) {
  const fig = document.querySelector(`figure[data-image="${name}"]`);
  const select = document.createElement("select");
  select.id = `${name}-stretch`;
  select.setAttribute("aria-label", `${name} stretch`);
  for (const s of Object.keys(STRETCH)) select.add(new Option(s, s));
  if (name === "noiseless" || name === "psf") select.value = "asinh";
  fig.querySelector("figcaption").append(select);
  const panel = document.createElement("div");
  panel.className = "panel";
  const canvas = document.createElement("canvas");
  canvas.className = "image"; canvas.id = `${name}-canvas`;
  const bar = document.createElement("div");
  bar.className = "colorbar";
  const barCanvas = document.createElement("canvas");
  barCanvas.width = 1; barCanvas.height = 256;
  const ticks = document.createElement("div");
  ticks.className = "ticks";
  bar.append(barCanvas, ticks);
  panel.append(canvas, bar);
  fig.append(panel);
  panels[name] = { canvas, barCanvas, ticks, select, data: null, size: 0, lo: 0, hi: 1 };
  select.addEventListener("change", () => draw(name));
  canvas.addEventListener("mousemove", (ev) => {
    const p = panels[name];
    if (!p.data) return;
    const rect = canvas.getBoundingClientRect();
    const x = Math.floor(((ev.clientX - rect.left) / rect.width) * p.size);
    const y = Math.floor(((ev.clientY - rect.top) / rect.height) * p.size);
    if (x < 0 || y < 0 || x >= p.size || y >= p.size) return;
    // Row 0 of the array is drawn at the bottom (FITS and matplotlib's origin="lower").
    const row = p.size - 1 - y;
    setText("hover", `${name} pixel (x ${x}, y ${row}) = ${Number(p.data[row * p.size + x]).toPrecision(5)}`);
  });
}
function setImage(name, data, size, symmetric) {
  const p = panels[name];
  p.data = data; p.size = size;
  let lo = Infinity, hi = -Infinity;
  for (const v of data) { if (v < lo) lo = v; if (v > hi) hi = v; }
  if (symmetric) { const m = Math.max(Math.abs(lo), Math.abs(hi)); lo = -m; hi = m; }
  if (!(hi > lo)) hi = lo + 1;
  p.lo = lo; p.hi = hi;
  draw(name);
}
function draw(name) {
  const p = panels[name];
  if (!p.data) return;
  const [f, finv] = STRETCH[p.select.value];
  const n = p.size;
  p.canvas.width = n; p.canvas.height = n;
  const ctx = p.canvas.getContext("2d");
  const img = ctx.createImageData(n, n);
  for (let row = 0; row < n; row++) {
    for (let x = 0; x < n; x++) {
      const c = colour(f((p.data[row * n + x] - p.lo) / (p.hi - p.lo)));
      const o = 4 * ((n - 1 - row) * n + x);
      img.data[o] = c[0]; img.data[o + 1] = c[1]; img.data[o + 2] = c[2]; img.data[o + 3] = 255;
    }
  }
  ctx.putImageData(img, 0, 0);
  const bctx = p.barCanvas.getContext("2d");
  const bar = bctx.createImageData(1, 256);
  for (let i = 0; i < 256; i++) {
    const c = colour(1 - i / 255);
    bar.data.set([c[0], c[1], c[2], 255], 4 * i);
  }
  bctx.putImageData(bar, 0, 0);
  p.ticks.replaceChildren(...[1, 0.75, 0.5, 0.25, 0].map((y) => {
    const s = document.createElement("span");
    s.textContent = Number(p.lo + finv(y) * (p.hi - p.lo)).toPrecision(3);
    return s;
  }));
}
function drawAll() {
  const n = last.size;
  setImage("noiseless", last.images.noiseless, n);
  setImage("noisy", last.images.noisy, n);
  setImage("psf", last.images.psf, n);
}

// --- measure: fit, network and bound side by side
async function measure() {
  const body = scene();
  const button = document.getElementById("measure");
  button.disabled = true; button.textContent = "Measuring…";
  const settle = (p) => p.then(async (r) => ({ ok: true, v: await r.json() }), (e) => ({ ok: false, e: e.message }));
  const [fit, net, crb] = await Promise.all([settle(api("/api/fit", body)), settle(api("/api/predict", body)), settle(api("/api/crb", body))]);
  button.disabled = false; button.textContent = "Measure";
  const truth = { flux: body.flux, sersic_index: body.sersic_index, half_light_radius: body.half_light_radius, g1: body.g1, g2: body.g2 };
  const num = (v) => (v === null || v === undefined ? "–" : Math.abs(v) >= 1e4 ? v.toExponential(3) : v.toPrecision(4));
  const pm = (r, k) => (r.ok ? `${num(r.v.estimate[k])} ± ${r.v.errors ? num(r.v.errors[k]) : "–"}` : "–");
  const rows = PARAMS.map((k) => `<tr><th>${k}</th><td>${num(truth[k])}</td><td id="fit-${k}">${pm(fit, k)}</td>` +
    `<td id="net-${k}">${pm(net, k)}</td><td id="crb-${k}">${crb.ok ? num(crb.v.crb[k]) : "–"}</td></tr>`);
  document.querySelector("#estimates tbody").innerHTML = rows.join("");
  const notes = [];
  if (fit.ok) notes.push(`fit: ${fit.v.converged ? "converged" : "not converged"} in ${fit.v.iterations} iterations`);
  else notes.push(`fit failed: ${fit.e}`);
  notes.push(net.ok ? `network: ${net.v.model}` : `network: ${net.e}`);
  if (!crb.ok) notes.push(`CRB: ${crb.e}`);
  setText("measure-notes", notes.join(" · "));
  document.getElementById("measure-panel").hidden = false;
  if (fit.ok) {
    setImage("residual", fit.v.residual, body.size, true);
    drawProfile(fit.v.profile);
  }
}
function drawProfile(p) {
  const canvas = document.getElementById("profile");
  const ctx = canvas.getContext("2d");
  const W = canvas.width, H = canvas.height, L = 70, R = 12, T = 12, B = 42;
  ctx.clearRect(0, 0, W, H);
  const pos = [...p.data, ...p.model].filter((v) => v > 0);
  const ymax = Math.log10(Math.max(...pos)), ymin = Math.max(ymax - 5, Math.log10(Math.min(...pos)));
  const xmax = Math.max(...p.radius_arcsec);
  const X = (r) => L + (r / xmax) * (W - L - R);
  const Y = (v) => T + (1 - (Math.log10(Math.max(v, 10 ** ymin)) - ymin) / (ymax - ymin || 1)) * (H - T - B);
  ctx.strokeStyle = "#333"; ctx.fillStyle = "#333"; ctx.font = "12px sans-serif";
  ctx.strokeRect(L, T, W - L - R, H - T - B);
  for (let e = Math.ceil(ymin); e <= Math.floor(ymax); e++) { ctx.fillText(`1e${e}`, 30, Y(10 ** e) + 4); }
  for (let i = 0; i <= 4; i++) { const r = (i / 4) * xmax; ctx.fillText(r.toFixed(2), X(r) - 10, H - B + 16); }
  ctx.fillText("radius (arcsec)", W / 2 - 40, H - 6);
  ctx.save(); ctx.translate(14, H / 2 + 60); ctx.rotate(-Math.PI / 2); ctx.fillText("mean counts / pixel", 0, 0); ctx.restore();
  ctx.strokeStyle = "#d9480f"; ctx.lineWidth = 2; ctx.beginPath();
  p.model.forEach((v, i) => (i ? ctx.lineTo(X(p.radius_arcsec[i]), Y(v)) : ctx.moveTo(X(p.radius_arcsec[i]), Y(v))));
  ctx.stroke();
  ctx.fillStyle = "#1c5fbf";
  p.data.forEach((v, i) => { if (v > 0) { ctx.beginPath(); ctx.arc(X(p.radius_arcsec[i]), Y(v), 2.5, 0, 7); ctx.fill(); } });
  ctx.fillText("● data", W - 130, T + 16); ctx.fillStyle = "#d9480f"; ctx.fillText("— fitted model", W - 130, T + 32);
}

// --- exports
async function download(path, name) {
  try {
    const blob = await (await api(path, scene())).blob();
    saveBlob(blob, name);
  } catch (e) { status(e.message); }
}
function saveBlob(blob, name) {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob); a.download = name;
  document.body.append(a); a.click(); a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

// --- start
buildControls();
["noiseless", "noisy", "psf", "residual"].forEach(buildPanel);
loadHash();
showMode();
syncWidgets();
document.getElementById("measure").addEventListener("click", measure);
document.getElementById("export-npy").addEventListener("click", () => download("/api/export/npy", "galaxy-noisy.npy"));
document.getElementById("export-fits").addEventListener("click", () => download("/api/export/fits", "galaxy-noisy.fits"));
document.getElementById("export-json").addEventListener("click", () =>
  saveBlob(new Blob([JSON.stringify(scene(), null, 2)], { type: "application/json" }), "galaxy-scene.json"));
document.getElementById("copy-link").addEventListener("click", async () => {
  saveHash();
  try { await navigator.clipboard.writeText(location.href); status("link copied"); } catch (_) { status(location.href); }
});
scheduleRender();
