-- Week level of the two day rollups that reports read many rows of per period: the duration
-- sketch (≈ 250 buckets per tenant and day) and the prediction scores (one row per distinct
-- probability per tenant, day and model). A week is 7 UTC days from the epoch's day 0
-- (week = day / 7, days are never negative, so weeks start on Thursdays); a period's whole weeks
-- are read here, the days before and after them from the day tables, the partial days at the
-- edges from raw rows. Maintained at ingest from the same deltas as the day tables (upserts, like
-- the other rollups here), rebuilt from raw rows.
CREATE TABLE rollup_durations_week (
  tenant_id TEXT NOT NULL,
  week BIGINT NOT NULL,
  bucket BIGINT NOT NULL,
  n BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, week, bucket)
);

INSERT INTO rollup_durations_week (tenant_id, week, bucket, n)
SELECT tenant_id, day / 7, bucket, sum(n)
FROM rollup_durations_day
GROUP BY 1, 2, 3;

CREATE TABLE rollup_prediction_scores_week (
  tenant_id TEXT NOT NULL,
  week BIGINT NOT NULL,
  model TEXT NOT NULL,
  probability DOUBLE PRECISION NOT NULL,
  predictions BIGINT NOT NULL,
  positives BIGINT NOT NULL,
  negatives BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, week, model, probability)
);

INSERT INTO rollup_prediction_scores_week (tenant_id, week, model, probability, predictions, positives, negatives)
SELECT tenant_id, day / 7, model, probability, sum(predictions), sum(positives), sum(negatives)
FROM rollup_prediction_scores_day
GROUP BY 1, 2, 3, 4;

ANALYZE rollup_durations_week, rollup_prediction_scores_week;

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'atom_app') THEN
    EXECUTE 'GRANT SELECT ON rollup_durations_week, rollup_prediction_scores_week TO atom_app';
  END IF;
EXCEPTION WHEN insufficient_privilege THEN
  RAISE NOTICE 'cannot grant atom_app on week rollups';
END
$$;

-- Row-level security in the form of 005 (scope read once per statement).
ALTER TABLE rollup_durations_week ENABLE ROW LEVEL SECURITY;
ALTER TABLE rollup_prediction_scores_week ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_scope ON rollup_durations_week TO atom_app USING ((SELECT atom_scope_is_all()) OR tenant_id = ANY (CAST((SELECT atom_scope_ids()) AS TEXT[])));
CREATE POLICY tenant_scope ON rollup_prediction_scores_week TO atom_app USING ((SELECT atom_scope_is_all()) OR tenant_id = ANY (CAST((SELECT atom_scope_ids()) AS TEXT[])));
