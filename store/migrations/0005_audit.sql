-- The audit trail (issue 15): what is recorded stays as it was recorded,
-- and only someone warroom knows can be an event's actor. The database
-- itself refuses the rest, so that a write with sqlite3 beside warroom
-- cannot rewrite history either. Each message starts with "warroom:" so
-- that the store can tell its own refusals from other failures.

-- actors is who may be an event's actor: warroom itself, the catalog's
-- people, the alert sources and the people chat or an API token
-- identified, as the core told the store (bot.Actors). An actor is never
-- forgotten: the events they made stay on record. added_at is NULL for
-- those known before this table was kept.
CREATE TABLE actors (
	id       TEXT PRIMARY KEY,
	added_at TEXT
);

-- Whoever made the events already recorded stays known, so that an
-- existing database keeps working.
INSERT INTO actors (id) SELECT DISTINCT actor FROM events;
INSERT OR IGNORE INTO actors (id) VALUES ('warroom');

CREATE TRIGGER actors_no_update BEFORE UPDATE ON actors
BEGIN
	SELECT RAISE(ABORT, 'warroom: actors are kept as added');
END;

CREATE TRIGGER actors_no_delete BEFORE DELETE ON actors
BEGIN
	SELECT RAISE(ABORT, 'warroom: actors are kept as added');
END;

-- An event is by a known actor, and comes after its fault's last one:
-- numbered next (a number taken already is the primary key's to refuse, as
-- a conflict) and recorded no earlier. Times compare by julianday (to the
-- millisecond): the stored RFC 3339 text has its trailing zeros trimmed,
-- so it does not sort. The last event by number is the latest, as this
-- trigger keeps them, so each look-up is one step down a key. One trigger,
-- so that the unknown actor is the reason given when both apply.
CREATE TRIGGER events_checked BEFORE INSERT ON events
BEGIN
	SELECT CASE
	WHEN NOT EXISTS (SELECT 1 FROM actors WHERE id = NEW.actor)
		THEN RAISE(ABORT, 'warroom: event by unknown actor')
	WHEN NEW.seq < 1
		OR NEW.seq > (SELECT coalesce(max(seq), 0) + 1 FROM events WHERE fault_id = NEW.fault_id)
		OR julianday(NEW.recorded_at) IS NULL
		OR julianday(NEW.recorded_at) < (SELECT julianday(recorded_at) FROM events
			WHERE fault_id = NEW.fault_id ORDER BY seq DESC LIMIT 1)
		THEN RAISE(ABORT, 'warroom: event out of order')
	END;
END;

-- A fault's row is found by its id and holds copies of its timeline (the
-- projection Append patches): the id and declaration time never change,
-- seq only grows and never past the last event, and the copied columns
-- change only with new events. Nor is a fault deleted: its timeline
-- refers to it.
CREATE TRIGGER faults_no_rewrite BEFORE UPDATE ON faults
WHEN NEW.id IS NOT OLD.id
	OR NEW.declared_at IS NOT OLD.declared_at
	OR NEW.seq < OLD.seq
	OR NEW.seq > (SELECT coalesce(max(seq), 0) FROM events WHERE fault_id = OLD.id)
	OR (NEW.seq = OLD.seq AND (NEW.title IS NOT OLD.title OR NEW.level IS NOT OLD.level
		OR NEW.status IS NOT OLD.status OR NEW.channel IS NOT OLD.channel))
BEGIN
	SELECT RAISE(ABORT, 'warroom: a fault changes only by new events');
END;

CREATE TRIGGER faults_no_delete BEFORE DELETE ON faults
BEGIN
	SELECT RAISE(ABORT, 'warroom: faults are kept');
END;

-- Step outputs (no update since 0002) and plan versions, which runs name
-- by their hash, are kept as recorded; so is the alert index.
CREATE TRIGGER step_outputs_no_delete BEFORE DELETE ON step_outputs
BEGIN
	SELECT RAISE(ABORT, 'warroom: step outputs are kept as recorded');
END;

CREATE TRIGGER plan_versions_no_update BEFORE UPDATE ON plan_versions
BEGIN
	SELECT RAISE(ABORT, 'warroom: plan versions are kept as recorded');
END;

CREATE TRIGGER plan_versions_no_delete BEFORE DELETE ON plan_versions
BEGIN
	SELECT RAISE(ABORT, 'warroom: plan versions are kept as recorded');
END;

CREATE TRIGGER alert_keys_no_update BEFORE UPDATE ON alert_keys
BEGIN
	SELECT RAISE(ABORT, 'warroom: the alert index is kept as recorded');
END;

CREATE TRIGGER alert_keys_no_delete BEFORE DELETE ON alert_keys
BEGIN
	SELECT RAISE(ABORT, 'warroom: the alert index is kept as recorded');
END;
