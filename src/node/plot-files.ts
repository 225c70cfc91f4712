/**
 * Plots as files (Node only): vega-lite specs (../report/plot.ts) rendered to SVG text, or
 * rasterised to PNG by resvg with a known sans font, and written where the path says.
 */
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, extname } from "node:path";
import { Resvg, type ResvgRenderOptions } from "@resvg/resvg-js";
import { InputError } from "../errors.js";
import { renderSvg, type TopLevelSpec } from "../report/plot.js";

const FONT_CANDIDATES = [
  "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
  "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
  "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
  "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
  "/usr/share/fonts/truetype/freefont/FreeSans.ttf",
  "/usr/share/fonts/truetype/freefont/FreeSansBold.ttf",
];

let fontOptions: ResvgRenderOptions["font"] | undefined;

/**
 * Fonts handed to resvg. Known sans fonts are loaded by path (fast); if none of them exists we
 * fall back to scanning the system fonts (slow, and text is silently skipped if there are none).
 */
export function fontInfo(): { files: string[]; family: string; systemScan: boolean } {
  if (!fontOptions) {
    const files = FONT_CANDIDATES.filter((f) => existsSync(f));
    const family = files.some((f) => f.includes("DejaVu"))
      ? "DejaVu Sans"
      : files.some((f) => f.includes("Liberation"))
        ? "Liberation Sans"
        : files.length
          ? "FreeSans"
          : "";
    fontOptions = files.length
      ? {
          loadSystemFonts: false,
          fontFiles: files,
          defaultFontFamily: family,
          sansSerifFamily: family,
          serifFamily: family,
          monospaceFamily: family,
        }
      : { loadSystemFonts: true };
  }
  return {
    files: fontOptions.fontFiles ?? [],
    family: fontOptions.defaultFontFamily ?? "",
    systemScan: fontOptions.loadSystemFonts !== false,
  };
}

/** resvg's rendering of an SVG at `scale` × its own size, on white, with the fonts above. */
function rasterise(svg: string, scale: number) {
  if (!(scale > 0 && Number.isFinite(scale)))
    throw new InputError("scale", `must be > 0, got ${scale}`);
  fontInfo();
  return new Resvg(svg, {
    font: fontOptions,
    fitTo: { mode: "zoom", value: scale },
    background: "white",
    logLevel: "off",
  }).render();
}

/** Rasterises an SVG to RGBA pixels at `scale` × its own size. */
export function renderRgba(
  svg: string,
  scale = 2,
): { width: number; height: number; pixels: Uint8Array } {
  const r = rasterise(svg, scale);
  return { width: r.width, height: r.height, pixels: new Uint8Array(r.pixels) };
}

/** Rasterises an SVG to a PNG file's bytes, `scale` × the SVG's size (default 2, for sharp text). */
export function renderPng(svg: string, scale = 2): Uint8Array {
  const png = rasterise(svg, scale).asPng();
  return new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
}

/** The file extensions a plot can be written as. */
export const PLOT_EXTENSIONS = [".svg", ".png"] as const;

/** The bytes of `spec` as the file `path` names: SVG text or PNG (chosen by the extension). */
export async function renderPlot(
  path: string,
  spec: TopLevelSpec,
  opts: { scale?: number } = {},
): Promise<string | Uint8Array> {
  const ext = extname(path).toLowerCase();
  if (ext !== ".svg" && ext !== ".png") {
    throw new InputError("path", `must end in .svg or .png, got ${JSON.stringify(path)}`);
  }
  const svg = await renderSvg(spec);
  return ext === ".svg" ? svg : renderPng(svg, opts.scale);
}

/** Writes `spec` as `.svg` or `.png` (chosen by the extension), creating the folder if needed. */
export async function writePlot(
  path: string,
  spec: TopLevelSpec,
  opts: { scale?: number } = {},
): Promise<void> {
  const data = await renderPlot(path, spec, opts);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, data);
}
