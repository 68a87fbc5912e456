-- adapter_state keeps small values for the chat adapters (Matrix's sync
-- position) in the database, not in a file beside one process.
CREATE TABLE adapter_state (
	key        TEXT PRIMARY KEY,
	value      BLOB NOT NULL,
	updated_at TEXT NOT NULL
);
