-- How many metric samples name each (tenant, service), beside how many records do: the health
-- report looks for a service's newest sample only where there is one.

ALTER TABLE tenant_services ADD COLUMN samples BIGINT NOT NULL DEFAULT 0;

UPDATE tenant_services t SET samples = m.n
FROM (SELECT tenant_id, service, count(*) AS n FROM metric_samples GROUP BY tenant_id, service) m
WHERE t.tenant_id = m.tenant_id AND t.service = m.service;
