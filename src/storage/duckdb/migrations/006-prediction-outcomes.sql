-- Outcome-aware prediction counts, so the predictions report no longer joins every prediction of
-- the period to the tenant's runs (src/ingest/prediction-outcomes.ts):
-- * predictions.run_outcome: the linked run's outcome ('failed' / 'succeeded') for a prediction
--   without an outcome of its own whose run (same tenant) has finished; else NULL.
-- * prediction_waits: predictions without an outcome of their own linked to a run that has not
--   finished or is not stored yet; a run arriving or finishing later resolves them at its ingest.
-- * rollup_prediction_scores_day: per (tenant, UTC day, model, probability), predictions and how
--   many of them failed / succeeded (effective outcome); delta rows like the other rollups.
ALTER TABLE predictions ADD COLUMN run_outcome VARCHAR;

UPDATE predictions SET run_outcome = r.status
FROM workflow_runs r
WHERE predictions.outcome IS NULL
  AND r.tenant_id = predictions.tenant_id AND r.id = predictions.workflow_run_id
  AND r.status IN ('failed', 'succeeded');

CREATE TABLE prediction_waits (
  tenant_id VARCHAR NOT NULL,
  run_id VARCHAR NOT NULL,
  prediction_id VARCHAR NOT NULL,
  model VARCHAR NOT NULL,
  predicted_at_ms BIGINT NOT NULL,
  failure_probability DOUBLE NOT NULL
);

INSERT INTO prediction_waits (tenant_id, run_id, prediction_id, model, predicted_at_ms, failure_probability)
SELECT tenant_id, workflow_run_id, id, model, predicted_at_ms, failure_probability
FROM predictions
WHERE outcome IS NULL AND run_outcome IS NULL AND workflow_run_id IS NOT NULL;

CREATE TABLE rollup_prediction_scores_day (
  tenant_id VARCHAR NOT NULL,
  day BIGINT NOT NULL,
  model VARCHAR NOT NULL,
  probability DOUBLE NOT NULL,
  predictions BIGINT NOT NULL,
  positives BIGINT NOT NULL,
  negatives BIGINT NOT NULL
);

-- Records are never before 1970, so integer division is floor division. -0 is stored as 0.
INSERT INTO rollup_prediction_scores_day (tenant_id, day, model, probability, predictions, positives, negatives)
SELECT tenant_id, predicted_at_ms // 86400000, model, failure_probability + 0.0, count(*),
       count(*) FILTER (WHERE coalesce(outcome, run_outcome) = 'failed'),
       count(*) FILTER (WHERE coalesce(outcome, run_outcome) = 'succeeded')
FROM predictions
GROUP BY 1, 2, 3, 4
ORDER BY 1, 2, 3, 4;
