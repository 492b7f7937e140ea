-- The jobs database as sourcing/service/db.py made it before migrations (Base.metadata.create_all
-- at commit 77fc386, sqlite dialect), with one job in each state the upgrade must keep:
--   old-succeeded  a finished job with its plan (the plan is a stand-in: it is served byte for byte)
--   old-queued     a job waiting for a worker: it must run after the upgrade
--   old-running    a job its (stopped) server left running: re-queued, no holder, no lease
-- The owner is the SHA-256 of tests/test_service.py's TOKEN_A. tests/test_service_migrations.py
-- (SQLite) and tests/test_service_postgres.py (PostgreSQL) load it and upgrade.

CREATE TABLE jobs (
	id VARCHAR(32) NOT NULL,
	owner VARCHAR(64) NOT NULL,
	kind VARCHAR(8) NOT NULL,
	status VARCHAR(16) NOT NULL,
	instance VARCHAR(200) NOT NULL,
	model VARCHAR(200) NOT NULL,
	request TEXT,
	options TEXT NOT NULL,
	phase VARCHAR(32),
	attempts INTEGER NOT NULL,
	note TEXT,
	error TEXT,
	termination_condition VARCHAR(32),
	solution_status VARCHAR(32),
	objective FLOAT,
	created_at DATETIME NOT NULL,
	started_at DATETIME,
	finished_at DATETIME,
	PRIMARY KEY (id)
);

CREATE INDEX ix_jobs_owner ON jobs (owner);

CREATE INDEX ix_jobs_status ON jobs (status);

CREATE TABLE plans (
	job_id VARCHAR(32) NOT NULL,
	"plan" TEXT NOT NULL,
	PRIMARY KEY (job_id),
	FOREIGN KEY(job_id) REFERENCES jobs (id)
);

INSERT INTO jobs (id, owner, kind, status, instance, model, request, options, phase, attempts,
    termination_condition, solution_status, objective, created_at, started_at, finished_at)
VALUES ('old-succeeded', '5d1ebb680d9ac84f61dc5b2214842c0b16f6bc153a8eb5733ae57d1a15783556', 'job', 'succeeded', 'two-plants', 'least-cost',
    '{"instance":{"name":"two-plants","stages":["mining"],"minerals":[{"mineral":"gallium"},{"mineral":"lithium"}],"countries":[{"country":"CHN","groups":"FEOC"},{"country":"AUS","groups":"FTA"},{"country":"USA","groups":"US"},{"country":"DEU","groups":"EU"}],"sites":[{"site":"us-plant","country":"USA"},{"site":"eu-plant","country":"DEU"}],"supply":[{"mineral":"gallium","stage":"mining","country":"CHN","price":10,"capacity":200},{"mineral":"gallium","stage":"mining","country":"AUS","price":14},{"mineral":"lithium","stage":"mining","country":"CHN","price":5},{"mineral":"lithium","stage":"mining","country":"AUS","price":6}],"demand":[{"mineral":"gallium","site":"us-plant","quantity":100},{"mineral":"gallium","site":"eu-plant","quantity":50},{"mineral":"lithium","site":"us-plant","quantity":10}],"transport_default":1},"model":"least-cost","scenario":[],"options":{"time_limit":60.0,"rel_gap":null,"strict":false}}', '{"time_limit": 60.0, "rel_gap": null, "strict": false}', NULL, 1, 'optimal', 'optimal', 1710.0,
    '2025-06-01 10:00:00.000000', '2025-06-01 10:00:01.000000', '2025-06-01 10:00:02.000000');

INSERT INTO plans (job_id, "plan") VALUES ('old-succeeded', '{"objective": 1710.0, "kept": "byte for byte"}');

INSERT INTO jobs (id, owner, kind, status, instance, model, request, options, attempts, created_at)
VALUES ('old-queued', '5d1ebb680d9ac84f61dc5b2214842c0b16f6bc153a8eb5733ae57d1a15783556', 'job', 'queued', 'two-plants', 'least-cost',
    '{"instance":{"name":"two-plants","stages":["mining"],"minerals":[{"mineral":"gallium"},{"mineral":"lithium"}],"countries":[{"country":"CHN","groups":"FEOC"},{"country":"AUS","groups":"FTA"},{"country":"USA","groups":"US"},{"country":"DEU","groups":"EU"}],"sites":[{"site":"us-plant","country":"USA"},{"site":"eu-plant","country":"DEU"}],"supply":[{"mineral":"gallium","stage":"mining","country":"CHN","price":10,"capacity":200},{"mineral":"gallium","stage":"mining","country":"AUS","price":14},{"mineral":"lithium","stage":"mining","country":"CHN","price":5},{"mineral":"lithium","stage":"mining","country":"AUS","price":6}],"demand":[{"mineral":"gallium","site":"us-plant","quantity":100},{"mineral":"gallium","site":"eu-plant","quantity":50},{"mineral":"lithium","site":"us-plant","quantity":10}],"transport_default":1},"model":"least-cost","scenario":[],"options":{"time_limit":60.0,"rel_gap":null,"strict":false}}', '{"time_limit": 60.0, "rel_gap": null, "strict": false}', 0, '2025-06-01 10:01:00.000000');

INSERT INTO jobs (id, owner, kind, status, instance, model, request, options, phase, attempts,
    created_at, started_at)
VALUES ('old-running', '5d1ebb680d9ac84f61dc5b2214842c0b16f6bc153a8eb5733ae57d1a15783556', 'job', 'running', 'two-plants', 'least-cost',
    '{"instance":{"name":"two-plants","stages":["mining"],"minerals":[{"mineral":"gallium"},{"mineral":"lithium"}],"countries":[{"country":"CHN","groups":"FEOC"},{"country":"AUS","groups":"FTA"},{"country":"USA","groups":"US"},{"country":"DEU","groups":"EU"}],"sites":[{"site":"us-plant","country":"USA"},{"site":"eu-plant","country":"DEU"}],"supply":[{"mineral":"gallium","stage":"mining","country":"CHN","price":10,"capacity":200},{"mineral":"gallium","stage":"mining","country":"AUS","price":14},{"mineral":"lithium","stage":"mining","country":"CHN","price":5},{"mineral":"lithium","stage":"mining","country":"AUS","price":6}],"demand":[{"mineral":"gallium","site":"us-plant","quantity":100},{"mineral":"gallium","site":"eu-plant","quantity":50},{"mineral":"lithium","site":"us-plant","quantity":10}],"transport_default":1},"model":"least-cost","scenario":[],"options":{"time_limit":60.0,"rel_gap":null,"strict":false}}', '{"time_limit": 60.0, "rel_gap": null, "strict": false}', 'solve', 1, '2025-06-01 10:02:00.000000', '2025-06-01 10:02:01.000000');
