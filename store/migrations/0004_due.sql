-- due_at is when the fault's timed work (a reminder, a chase stage, a
-- digest, a run's approval expiry, alert news) next falls due, in Unix
-- nanoseconds; NULL when none will. The core writes it with the events
-- that change it, so that a tick reads only the faults due.
ALTER TABLE faults ADD COLUMN due_at INTEGER;

CREATE INDEX faults_due ON faults (due_at) WHERE due_at IS NOT NULL;

-- due_policy fingerprints the level policies the due times were worked out
-- under: a start under other policies works them out again. A database from
-- before this migration has none, so its index is built at the first start.
CREATE TABLE due_policy (
	id     INTEGER PRIMARY KEY CHECK (id = 1),
	policy TEXT NOT NULL
);

-- A restart looks for the open faults with a run started, by event type.
CREATE INDEX events_type ON events (type, fault_id);
