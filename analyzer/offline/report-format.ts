/** The two outputs of `driftwatch drift`: the fixed JSON shape and a readable table. */
import type { DriftReport } from './analyze-datasets.js';

/** Keys and order exactly as documented for pipelines that parse the output. */
export function reportJson(report: DriftReport): string {
  const columns = report.columns.map((column, index) => {
    const m = column.metrics;
    const numeric = m.kind === 'numeric' ? m : null;
    const categorical = m.kind === 'categorical' ? m : null;
    return {
      name: column.name,
      kind: m.kind,
      reference_count: m.profile.referenceCount,
      current_count: m.profile.currentCount,
      missing_share: m.profile.missingShare,
      ks_statistic: numeric?.ksStatistic ?? null,
      ks_p_value: numeric?.ksPValue ?? null,
      psi: m.psi,
      jensen_shannon: m.jensenShannon,
      wasserstein: numeric?.wasserstein ?? null,
      wasserstein_normed: numeric?.wassersteinNormed ?? null,
      chi2_p_value: categorical?.chiSquarePValue ?? null,
      unseen_share: categorical?.unseenShare ?? null,
      drifted: report.decision.columns[index]!.drifted,
    };
  });
  return `${JSON.stringify({
    columns,
    drift_share: report.decision.driftShare,
    dataset_drifted: report.decision.datasetDrifted,
  })}\n`;
}

function formatNumber(value: number | null, digits = 4): string {
  if (value === null) return '-';
  if (value !== 0 && (Math.abs(value) < 10 ** -digits || Math.abs(value) >= 1e6)) return value.toExponential(2);
  return value.toFixed(digits);
}

function formatShare(value: number | null): string {
  return value === null ? '-' : `${(value * 100).toFixed(1)}%`;
}

export function reportTable(report: DriftReport): string {
  const header = ['column', 'kind', 'ref n', 'cur n', 'missing', 'type err', 'p-value', 'adj p', 'KS D', 'PSI', 'JS', 'W/sd', 'unseen', 'out of range', 'drift'];
  const rows = report.columns.map((column, index) => {
    const m = column.metrics;
    const decision = report.decision.columns[index]!;
    return [
      column.name,
      m.kind,
      String(m.profile.referenceCount),
      String(m.profile.currentCount),
      formatShare(m.profile.missingShare),
      String(m.profile.referenceTypeErrors + m.profile.currentTypeErrors),
      formatNumber(decision.pValue),
      formatNumber(decision.adjustedPValue),
      formatNumber(m.kind === 'numeric' ? m.ksStatistic : null),
      formatNumber(m.psi),
      formatNumber(m.jensenShannon),
      formatNumber(m.kind === 'numeric' ? m.wassersteinNormed : null),
      formatShare(m.kind === 'categorical' ? m.unseenShare : null),
      formatShare(m.profile.outOfRangeShare),
      decision.drifted ? 'DRIFT' : decision.pValue === null ? 'n/a' : 'ok',
    ];
  });
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]): string =>
    cells.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ').trimEnd();
  const out = [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];

  const notes = report.columns.flatMap((column) => column.metrics.notes.map((note) => `  ${column.name}: ${note}`));
  if (notes.length > 0) out.push('', 'Notes:', ...notes);

  const { decision } = report;
  out.push('');
  if (decision.driftShare === null) {
    out.push('No column could be tested: no drift verdict (see notes).');
  } else {
    out.push(
      `Drifted columns: ${decision.driftedColumns} of ${decision.testedColumns} tested (${formatShare(decision.driftShare)}); ` +
        `dataset drift threshold ${formatShare(decision.thresholds.datasetDriftShare)}.`,
    );
  }
  out.push(`Verdict: ${decision.datasetDrifted ? 'DATASET DRIFT DETECTED' : 'no dataset drift'}`);
  return `${out.join('\n')}\n`;
}
