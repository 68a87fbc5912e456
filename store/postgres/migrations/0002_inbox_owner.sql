-- Which process holds an inbox item, so that several warroom processes on
-- one database do not act on one item twice: owner is the key of the
-- session advisory lock (class ownerClass, key owner) that process holds
-- while it lives (owner.go); claimed_at is when it took the item. Another
-- process adopts an item whose owner is gone, or that it has held longer
-- than the lease.
ALTER TABLE inbox ADD COLUMN owner bigint;
ALTER TABLE inbox ADD COLUMN claimed_at timestamptz;
