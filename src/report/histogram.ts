/**
 * The distance histogram of the HTML report, as inline SVG (no script, no external resource).
 *
 * @module
 */
import { escapeHtml } from './escape.js';

/** Counts of values 0..max (values above max land in the last bin). */
export function histogram(values: readonly number[], max: number): number[] {
  const bins = new Array<number>(max + 1).fill(0);
  for (const v of values) bins[Math.min(Math.max(0, Math.round(v)), max)]!++;
  return bins;
}

/** An SVG bar chart of `bins` (bin i = distance i). */
export function histogramSvg(bins: readonly number[], label = 'Hamming distance'): string {
  const width = 640;
  const height = 200;
  const left = 40;
  const bottom = 30;
  const top = 10;
  const plotW = width - left - 10;
  const plotH = height - bottom - top;
  const peak = Math.max(1, ...bins);
  const barW = plotW / bins.length;
  const bars: string[] = [];
  bins.forEach((count, i) => {
    if (count === 0) return;
    const h = (count / peak) * plotH;
    const x = left + i * barW;
    bars.push(
      `<rect x="${x.toFixed(1)}" y="${(top + plotH - h).toFixed(1)}" width="${Math.max(1, barW - 1).toFixed(1)}" ` +
        `height="${h.toFixed(1)}" fill="#b3261e"><title>distance ${i}: ${count}</title></rect>`,
    );
  });
  const ticks: string[] = [];
  const step = bins.length > 40 ? 10 : 5;
  for (let i = 0; i < bins.length; i += step) {
    const x = left + i * barW + barW / 2;
    ticks.push(`<text x="${x.toFixed(1)}" y="${height - bottom + 14}" text-anchor="middle">${i}</text>`);
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" ` +
      `role="img" aria-label="${escapeHtml(label)} histogram" font-size="11" font-family="sans-serif">`,
    `<line x1="${left}" y1="${top + plotH}" x2="${width - 10}" y2="${top + plotH}" stroke="#555"/>`,
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${top + plotH}" stroke="#555"/>`,
    `<text x="${left - 6}" y="${top + 8}" text-anchor="end">${peak}</text>`,
    `<text x="${left - 6}" y="${top + plotH}" text-anchor="end">0</text>`,
    ...bars,
    ...ticks,
    `<text x="${left + plotW / 2}" y="${height - 2}" text-anchor="middle">${escapeHtml(label)}</text>`,
    '</svg>',
  ].join('\n');
}
