-- plan_versions keeps every version of every plan file warroom has loaded,
-- so that a run's recorded version (a content hash) can always be shown.
CREATE TABLE plan_versions (
	name       TEXT NOT NULL,
	version    TEXT NOT NULL,
	file       TEXT NOT NULL,
	source     BLOB NOT NULL,
	first_seen TEXT NOT NULL,
	PRIMARY KEY (name, version)
);

-- step_outputs keeps each plan step's whole output (up to the runner's
-- cap) beside the timeline, which stays small to replay.
CREATE TABLE step_outputs (
	fault_id    INTEGER NOT NULL REFERENCES faults (id),
	run         INTEGER NOT NULL,
	step        INTEGER NOT NULL,
	output      TEXT NOT NULL,
	recorded_at TEXT NOT NULL,
	PRIMARY KEY (fault_id, run, step)
);

CREATE TRIGGER step_outputs_no_update BEFORE UPDATE ON step_outputs
BEGIN
	SELECT RAISE(ABORT, 'step outputs are kept as recorded');
END;
