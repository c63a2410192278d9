-- Week level of the two day rollups that reports read many rows of per period: the duration
-- sketch (≈ 250 buckets per tenant and day) and the prediction scores (one row per distinct
-- probability per tenant, day and model). A week is 7 UTC days from the epoch's day 0
-- (week = day // 7, so weeks start on Thursdays); a period's whole weeks are read here, the days
-- before and after them from the day tables, the partial days at the edges from raw rows.
-- Maintained at ingest from the same deltas as the day tables, rebuilt from raw rows; delta rows
-- like the other rollups (readers and compaction sum per key).

CREATE TABLE rollup_durations_week (
  tenant_id VARCHAR NOT NULL,
  week BIGINT NOT NULL,
  bucket BIGINT NOT NULL,
  n BIGINT NOT NULL
);

INSERT INTO rollup_durations_week (tenant_id, week, bucket, n)
SELECT tenant_id, day // 7, bucket, sum(n)
FROM rollup_durations_day
GROUP BY 1, 2, 3
HAVING sum(n) <> 0
ORDER BY 1, 2, 3;

CREATE TABLE rollup_prediction_scores_week (
  tenant_id VARCHAR NOT NULL,
  week BIGINT NOT NULL,
  model VARCHAR NOT NULL,
  probability DOUBLE NOT NULL,
  predictions BIGINT NOT NULL,
  positives BIGINT NOT NULL,
  negatives BIGINT NOT NULL
);

INSERT INTO rollup_prediction_scores_week (tenant_id, week, model, probability, predictions, positives, negatives)
SELECT tenant_id, day // 7, model, probability, sum(predictions), sum(positives), sum(negatives)
FROM rollup_prediction_scores_day
GROUP BY 1, 2, 3, 4
HAVING sum(predictions) <> 0 OR sum(positives) <> 0 OR sum(negatives) <> 0
ORDER BY 1, 2, 3, 4;
