import { ValidationError } from '../domain/errors.ts';
import type { SqlValue } from '../storage/types.ts';
import {
  CALIBRATION_BINS,
  DEFAULT_THRESHOLD,
  classificationMetrics,
  type CalibrationBin,
  type ProbabilityGroup,
} from './metrics/classification.ts';
import { compareText, num, periodJson, tenantFilter, type ReportQuery } from './common.ts';
import { splitWeeksDays } from './rollup-source.ts';
import type { ReportDefinition, ReportEnv } from './registry.ts';

/** One (tenant, model) of GET /reports/predictions (contract, precise readings 7–9). */
export interface PredictionRow {
  tenant_id: string;
  model: string;
  /** Predictions made in the period (by predicted_at). */
  predictions: number;
  /** Those whose outcome is known; the metrics below are over these only. */
  evaluated: number;
  accuracy: number | null;
  precision: number | null;
  recall: number | null;
  f1: number | null;
  brier_score: number | null;
  roc_auc: number | null;
  calibration: CalibrationBin[];
}

export const PREDICTION_COLUMNS = [
  'tenant_id',
  'model',
  'predictions',
  'evaluated',
  'accuracy',
  'precision',
  'recall',
  'f1',
  'brier_score',
  'roc_auc',
  'calibration',
] as const satisfies readonly (keyof PredictionRow)[];

const CALIBRATION_FIELDS = ['bin_lower', 'bin_upper', 'count', 'mean_predicted', 'observed_failure_rate'] as const satisfies readonly (keyof CalibrationBin)[];

/** CSV header: calibration flattened as `calibration_<k>_<field>`, k = 0..9 (contract reading 1). */
export const PREDICTION_CSV_COLUMNS: readonly string[] = PREDICTION_COLUMNS.flatMap((c) =>
  c === 'calibration'
    ? Array.from({ length: CALIBRATION_BINS }, (_, k) => CALIBRATION_FIELDS.map((f) => `calibration_${k}_${f}`)).flat()
    : [c],
);

/** Plain decimal or exponent notation only: no hex, no `Infinity`, no surrounding blanks. */
const DECIMAL_RE = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Reads `threshold` (default 0.5): a finite number in [0, 1], else a 400 naming `threshold`. */
export function parseThreshold(raw: unknown): number {
  if (raw === undefined || raw === null || raw === '') return DEFAULT_THRESHOLD;
  const value = typeof raw === 'string' && DECIMAL_RE.test(raw) ? Number(raw) : Number.NaN;
  if (!(Number.isFinite(value) && value >= 0 && value <= 1)) {
    const message = `threshold must be a number between 0 and 1; got ${JSON.stringify(raw)}`;
    throw new ValidationError(message, [{ field: 'threshold', message }]);
  }
  return value === 0 ? 0 : value; // "-0" is 0
}

/**
 * GET /reports/predictions: one row per (tenant, model) with predictions in the period, ordered
 * by tenant_id then model. Outcome (reading 7): the record's own `outcome` wins, else a linked run
 * of the same tenant (any time) that failed or succeeded; otherwise the prediction is unevaluated.
 * Ingest keeps that effective outcome (src/ingest/prediction-outcomes.ts): whole weeks are read from
 * rollup_prediction_scores_week, the other whole UTC days from rollup_prediction_scores_day, the
 * partial days at the edges from the predictions themselves
 * (`run_outcome`), so no run is joined. SQL only counts outcomes per probability; every metric
 * comes from `classificationMetrics`.
 */
export async function getPredictionReport(env: ReportEnv, q: ReportQuery, threshold: number = DEFAULT_THRESHOLD): Promise<PredictionRow[]> {
  const d = env.storage.dialect;
  const params: SqlValue[] = [];
  const { whole, raw } = splitWeeksDays(q.fromMs, q.toMs);
  const branches: string[] = [];
  for (const { grain, a, b } of whole) {
    params.push(a, b);
    const at = params.length - 1;
    const scope = tenantFilter(d, 'tenant_id', q, params);
    branches.push(`SELECT tenant_id, model, probability, predictions AS n, positives, negatives
      FROM rollup_prediction_scores_${grain} WHERE ${grain} >= $${at} AND ${grain} < $${at + 1} AND ${scope}`);
  }
  // One branch per edge range (an OR would keep DuckDB's zone maps from pruning). Grouping by
  // plain columns lets both planners hash-aggregate.
  for (const [lo, hi] of raw) {
    params.push(lo, hi);
    const at = params.length - 1;
    const scope = tenantFilter(d, 'tenant_id', q, params);
    branches.push(`SELECT tenant_id, model, failure_probability AS probability, count(*) AS n,
        count(*) FILTER (WHERE coalesce(outcome, run_outcome) = 'failed') AS positives,
        count(*) FILTER (WHERE coalesce(outcome, run_outcome) = 'succeeded') AS negatives
      FROM predictions WHERE predicted_at_ms >= $${at} AND predicted_at_ms < $${at + 1} AND ${scope}
      GROUP BY tenant_id, model, failure_probability`);
  }
  // One row per (tenant, model), its evaluated groups as three arrays aligned by probability
  // (distinct within the group): the all-tenant report has ≈ 1,000 probabilities per model, and
  // 100k rows (a string pair and three integers each) made ≈ 100 MB of short-lived JavaScript
  // objects on DuckDB's side of the process, where 100 rows of arrays make a few.
  const counts = (col: string) => `array_agg(${d.double(col)} ORDER BY probability) FILTER (WHERE positives + negatives > 0)`;
  const sql = `SELECT tenant_id, model, ${d.double('sum(n)')} AS n, ${counts('probability')} AS probabilities,
      ${counts('positives')} AS positives, ${counts('negatives')} AS negatives
    FROM (SELECT tenant_id, model, probability, sum(n) AS n, sum(positives) AS positives, sum(negatives) AS negatives
          FROM (${branches.join('\n    UNION ALL\n    ')}) u GROUP BY tenant_id, model, probability) g
    GROUP BY tenant_id, model`;
  const rows = await env.storage.query<{ tenant_id: string; model: string; n: unknown; probabilities: number[] | null; positives: number[] | null; negatives: number[] | null }>(sql, params);

  const byModel = rows.map((r) => {
    const probabilities = r.probabilities ?? [];
    const groups: ProbabilityGroup[] = probabilities.map((p, i) => ({ probability: num(p), positives: num(r.positives![i]), negatives: num(r.negatives![i]) }));
    return { tenant_id: String(r.tenant_id), model: String(r.model), predictions: num(r.n), groups };
  });

  return byModel
    .sort((a, b) => compareText(a.tenant_id, b.tenant_id) || compareText(a.model, b.model))
    .map((e) => ({ tenant_id: e.tenant_id, model: e.model, predictions: e.predictions, ...classificationMetrics(e.groups, threshold) }));
}

/** Flattens a row for CSV: calibration as `calibration_<k>_<field>`. */
export function toPredictionCsvRow(row: PredictionRow): Record<string, unknown> {
  const { calibration, ...rest } = row;
  const flat: Record<string, unknown> = { ...rest };
  calibration.forEach((bin, k) => {
    for (const f of CALIBRATION_FIELDS) flat[`calibration_${k}_${f}`] = bin[f];
  });
  return flat;
}

export const predictionsReport: ReportDefinition = {
  name: 'predictions',
  path: '/reports/predictions',
  summary: 'Prediction quality per tenant and model: accuracy, precision, recall, F1, Brier score, ROC AUC, calibration',
  extraQuery: {
    threshold: { type: 'string', description: 'Probability at or above which a prediction counts as predicting failure; a number in [0, 1], default 0.5' },
  },
  run: async (env, q, params) => {
    const threshold = parseThreshold(params.threshold);
    return { period: periodJson(q), rows: await getPredictionReport(env, q, threshold) };
  },
  csv: (body) => ({ columns: [...PREDICTION_CSV_COLUMNS], rows: (body as { rows: PredictionRow[] }).rows.map(toPredictionCsvRow) }),
};
