/**
 * The explorer page: controls → settings; the infinite-width profile is recomputed on the main
 * thread at every input (fast), the phase diagram in a theory worker (replaced when superseded),
 * the empirical APJN of a finite network in a jax-js worker (latest request wins).
 * Timings and values are also written as data-* attributes for the browser test.
 */
import type { EmpiricalReply, EmpiricalRequest } from "./empirical.worker.js";
import {
  DEFAULT_SETTINGS,
  EXPLORER_ACTIVATIONS,
  type ExplorerSettings,
  type LayerNormPlacement,
  type PhaseRequest,
  phaseRequestOf,
  SIGMA_B2_RANGE,
  SIGMA_W2_RANGE,
  samePhaseRequest,
  theoryProfile,
} from "./model.js";
import { depthSvg, phaseAxes, phaseSvg } from "./plots.js";
import type { PhaseResult } from "./theory.worker.js";

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const input = (id: string) => $<HTMLInputElement>(id);
const LN10 = Math.log(10);
const params = new URLSearchParams(location.search);

const activationSelect = $<HTMLSelectElement>("activation");
for (const name of EXPLORER_ACTIVATIONS) activationSelect.add(new Option(name, name));

/** Initial settings: the defaults, overridden by URL parameters of the same names. */
function initialSettings(): ExplorerSettings {
  const s = { ...DEFAULT_SETTINGS };
  const num = (k: keyof ExplorerSettings) => {
    const v = Number(params.get(k));
    if (params.has(k) && Number.isFinite(v)) (s as Record<string, unknown>)[k] = v;
  };
  for (const k of ["sigmaW2", "sigmaB2", "mu", "depth", "width"] as const) num(k);
  const a = params.get("activation");
  if (a && EXPLORER_ACTIVATIONS.includes(a)) s.activation = a;
  const ln = params.get("layernorm");
  if (ln === "pre" || ln === "post" || ln === "none") s.layernorm = ln;
  return s;
}

function writeControls(s: ExplorerSettings): void {
  activationSelect.value = s.activation;
  input("sigma-w2").value = String(s.sigmaW2);
  input("sigma-b2").value = String(s.sigmaB2);
  $<HTMLSelectElement>("layernorm").value = s.layernorm;
  input("mu").value = String(s.mu);
  input("depth").value = String(s.depth);
  $<HTMLSelectElement>("width").value = String(s.width);
}

function readControls(): ExplorerSettings {
  return {
    activation: activationSelect.value,
    sigmaW2: Number(input("sigma-w2").value),
    sigmaB2: Number(input("sigma-b2").value),
    layernorm: $<HTMLSelectElement>("layernorm").value as LayerNormPlacement,
    mu: Number(input("mu").value),
    depth: Number(input("depth").value),
    width: Number($<HTMLSelectElement>("width").value),
  };
}

/** Text and full-precision data-value of a table cell. */
function show(id: string, value: number | string, text = String(value)): void {
  const el = $(id);
  el.textContent = text;
  el.dataset.value = String(value);
}

// ---------------------------------------------------------------------------------------------
// Theory on the main thread: profile through depth, numbers, the marker.

const axes = phaseAxes(SIGMA_W2_RANGE, SIGMA_B2_RANGE);
let settings = initialSettings();
let measured: { settings: ExplorerSettings; reply: EmpiricalReply & { ok: true } } | undefined;

function sameSettings(a: ExplorerSettings, b: ExplorerSettings): boolean {
  return (Object.keys(a) as (keyof ExplorerSettings)[]).every((k) => a[k] === b[k]);
}

function drawDepth(theory: Float64Array): void {
  const current = measured && sameSettings(measured.settings, settings);
  const svg = $("depth-svg");
  svg.innerHTML = depthSvg({
    theory,
    measured: measured && measured.settings.depth === settings.depth ? measured.reply : undefined,
  });
  $("measured-points").classList.toggle("stale", !current);
}

/**
 * Input events are coalesced to one theory update per frame (a dragged slider fires many), so a
 * slow setting (an unbounded activation whose variance explodes over 100 layers) delays frames
 * instead of queueing updates. The time shown runs from the first input of the frame.
 */
let inputSince: number | undefined;
function onInput(): void {
  if (inputSince !== undefined) return;
  inputSince = performance.now();
  requestAnimationFrame(updateTheory);
}

function updateTheory(): void {
  const start = inputSince ?? performance.now();
  inputSince = undefined;
  settings = readControls();
  $("sigma-w2-value").textContent = settings.sigmaW2.toFixed(2);
  $("sigma-b2-value").textContent = settings.sigmaB2.toFixed(3);
  $("mu-value").textContent = settings.mu.toFixed(2);
  $("depth-value").textContent = String(settings.depth);
  const t = theoryProfile(settings);
  drawDepth(t.logJ);
  const logJL = t.logJ[settings.depth]! / LN10;
  show("chi-last", t.chiLast, t.chiLast.toPrecision(6));
  show("log-j", logJL, logJL.toPrecision(6));
  show("q-last", t.qLast, t.qLast.toPrecision(6));
  show("phase", t.phase);
  $("phase").className = `phase-${t.phase}`;
  for (const id of ["phase-marker", "phase-marker-inner"]) {
    $(id).setAttribute("cx", axes.x(settings.sigmaW2).toFixed(1));
    $(id).setAttribute("cy", axes.y(settings.sigmaB2).toFixed(1));
  }
  $("depth-caption").textContent = `L = ${settings.depth}, q⁰ = 1`;
  requestPhase(phaseRequestOf(settings));
  scheduleEmpirical();
  const ms = performance.now() - start;
  show("theory-ms", ms, `${ms.toFixed(1)} ms`);
}

// ---------------------------------------------------------------------------------------------
// Phase diagram in a worker; a busy worker is terminated when its request is superseded.

let phaseWorker: Worker | undefined;
let phasePending: PhaseRequest | undefined;
let phaseShown: PhaseRequest | undefined;

function newPhaseWorker(): Worker {
  const w = new Worker(new URL("./theory.worker.ts", import.meta.url), { type: "module" });
  w.onmessage = (e: MessageEvent<PhaseResult>) => {
    const r = e.data;
    phasePending = undefined;
    phaseShown = r.request;
    $("phase-plot").innerHTML = phaseSvg({ ...r, depth: r.request.depth }, axes);
    $("phase-caption").textContent = `depth ${r.request.depth}, ${r.request.grid}² grid`;
    show("phase-status", r.ms, `${r.ms.toFixed(0)} ms`);
    document.body.dataset.phaseReady = "true";
  };
  w.onerror = (e) => show("phase-status", e.message, `failed: ${e.message}`);
  return w;
}

function requestPhase(r: PhaseRequest): void {
  if (
    phasePending ? samePhaseRequest(phasePending, r) : phaseShown && samePhaseRequest(phaseShown, r)
  )
    return;
  if (phasePending) {
    phaseWorker?.terminate();
    phaseWorker = undefined;
  }
  phaseWorker ??= newPhaseWorker();
  phasePending = r;
  document.body.dataset.phaseReady = "false";
  $("phase-status").textContent = "computing…";
  phaseWorker.postMessage(r);
}

// ---------------------------------------------------------------------------------------------
// Empirical APJN in the jax-js worker: one request in flight, the latest waiting one next.

const empiricalWorker = new Worker(new URL("./empirical.worker.ts", import.meta.url), {
  type: "module",
});
let empiricalInFlight: EmpiricalRequest | undefined;
let empiricalNext: EmpiricalRequest | undefined;
let empiricalTimer: ReturnType<typeof setTimeout> | undefined;
let requestId = 0;

function scheduleEmpirical(): void {
  clearTimeout(empiricalTimer);
  document.body.dataset.empiricalReady = "false";
  empiricalTimer = setTimeout(() => {
    empiricalNext = {
      id: ++requestId,
      settings: { ...settings },
      seeds: 3,
      inputs: 4,
      probes: 8,
      device: params.get("device") === "wasm" ? "wasm" : "auto",
    };
    sendEmpirical();
  }, 150);
}

function sendEmpirical(): void {
  if (empiricalInFlight || !empiricalNext) return;
  empiricalInFlight = empiricalNext;
  empiricalNext = undefined;
  $("empirical-status").textContent = "measuring…";
  empiricalWorker.postMessage(empiricalInFlight);
}

empiricalWorker.onerror = (e) => show("empirical-status", e.message, `failed: ${e.message}`);
empiricalWorker.onmessage = (e: MessageEvent<EmpiricalReply>) => {
  const r = e.data;
  const req = empiricalInFlight!;
  empiricalInFlight = undefined;
  if (r.ok) {
    measured = { settings: req.settings, reply: r };
    const L = req.settings.depth;
    const logJL = r.logJ[L - 1]! / LN10;
    const chi = Math.exp(r.logJ[L - 1]! - (L > 1 ? r.logJ[L - 2]! : 0));
    show(
      "log-j-measured",
      logJL,
      `${logJL.toPrecision(4)} ± ${(r.relStderr[L - 1]! / LN10).toPrecision(2)}`,
    );
    show("chi-measured", chi, chi.toPrecision(4));
    show("device", r.device, `@jax-js/jax on ${r.device}, float32`);
    $("measure-setup").textContent =
      `${req.seeds} networks of width ${req.settings.width}, ${req.inputs} inputs × ${req.probes} probes each`;
    show("empirical-status", r.ms, `${r.ms.toFixed(0)} ms on ${r.device}`);
    if (sameSettings(req.settings, settings)) {
      drawDepth(theoryProfile(settings).logJ);
      if (!empiricalNext) document.body.dataset.empiricalReady = "true";
    }
  } else {
    show("empirical-status", r.error, `failed: ${r.error}`);
  }
  sendEmpirical();
};

// ---------------------------------------------------------------------------------------------

$("controls").addEventListener("input", onInput);
$("phase-svg").addEventListener("click", (e) => {
  const svg = e.currentTarget as SVGSVGElement;
  const box = svg.getBoundingClientRect();
  const [w, b] = axes.invert(e.clientX - box.left, e.clientY - box.top);
  const clamp = (v: number, [lo, hi]: [number, number]) => Math.min(hi, Math.max(lo, v));
  input("sigma-w2").value = String(clamp(w, SIGMA_W2_RANGE));
  input("sigma-b2").value = String(clamp(b, SIGMA_B2_RANGE));
  onInput();
});
writeControls(settings);
updateTheory();
