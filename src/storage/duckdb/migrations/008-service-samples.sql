-- How many metric samples name each (tenant, service), beside how many records do: the health
-- report looks for a service's newest sample only where there is one. Filled from the raw samples
-- as delta rows (readers and compaction sum per key).

ALTER TABLE tenant_services ADD COLUMN samples BIGINT DEFAULT 0;

UPDATE tenant_services SET samples = 0 WHERE samples IS NULL;

INSERT INTO tenant_services (tenant_id, service, records, samples)
SELECT tenant_id, service, 0, count(*) FROM metric_samples GROUP BY tenant_id, service;
