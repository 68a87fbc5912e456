-- faults holds one row per fault: only the columns warroom queries by. The
-- fault's full state is always bot.Replay of its events.
CREATE TABLE faults (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	title       TEXT NOT NULL,
	level       TEXT NOT NULL,
	status      TEXT NOT NULL,
	channel     TEXT NOT NULL DEFAULT '',
	declared_at TEXT,
	updated_at  TEXT,
	seq         INTEGER NOT NULL
);

CREATE INDEX faults_channel ON faults (channel);
CREATE INDEX faults_status ON faults (status);

-- events is each fault's timeline. data is the JSON of the whole bot.Event;
-- the other columns are copies for people reading the file with sqlite3.
CREATE TABLE events (
	fault_id    INTEGER NOT NULL REFERENCES faults (id),
	seq         INTEGER NOT NULL,
	at          TEXT NOT NULL,
	type        TEXT NOT NULL,
	actor       TEXT NOT NULL,
	data        TEXT NOT NULL,
	recorded_at TEXT NOT NULL,
	PRIMARY KEY (fault_id, seq)
);

-- The timeline is history: the database itself refuses to rewrite it.
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN
	SELECT RAISE(ABORT, 'events are append-only');
END;

CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN
	SELECT RAISE(ABORT, 'events are append-only');
END;
