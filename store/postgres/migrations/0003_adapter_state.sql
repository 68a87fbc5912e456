-- adapter_state keeps small values for the chat adapters (Matrix's sync
-- position), so that a new leader goes on from where the last one stopped.
CREATE TABLE adapter_state (
	key        text PRIMARY KEY,
	value      bytea NOT NULL,
	updated_at text NOT NULL
);
