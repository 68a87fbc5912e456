-- alert_keys files each fault an alert declared under its source's dedup
-- key (an Alertmanager group, a fingerprint, a generic key), so that the
-- key's next alerts find it. Whether the fault is still open is its own
-- status, in faults.
CREATE TABLE alert_keys (
	source   TEXT NOT NULL,
	key      TEXT NOT NULL,
	fault_id INTEGER NOT NULL REFERENCES faults (id),
	PRIMARY KEY (source, key, fault_id)
);

-- inbox keeps what arrived from outside (alert deliveries; later inbound
-- chat events) until it has been acted on: stored before the sender hears
-- "received", marked done after. seq is the order it came in.
CREATE TABLE inbox (
	seq         INTEGER PRIMARY KEY AUTOINCREMENT,
	source      TEXT NOT NULL,
	id          TEXT NOT NULL,
	payload     BLOB NOT NULL,
	received_at TEXT NOT NULL,
	done_at     TEXT,
	UNIQUE (source, id)
);

CREATE INDEX inbox_pending ON inbox (source, seq) WHERE done_at IS NULL;
