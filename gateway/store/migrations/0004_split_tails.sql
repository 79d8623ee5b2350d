-- The ends of messages that may be the first half of a number split across two messages
-- (gateway/policy/memory.py). The policy keeps them in memory for its split window; they are
-- stored too, in the transaction that archives and routes the message, so a restart between
-- the halves does not let the number through. Rows hold only trailing digit groups (or an
-- IBAN's start), kind names and BIKs — never a message — and are deleted once the window has
-- passed (gateway/store/split_tails.py).
CREATE TABLE split_tails (
    key  TEXT PRIMARY KEY,              -- link id, chat id and sender id, NUL-separated
    at   INTEGER NOT NULL,              -- when the message was judged, ms since the epoch
    tail TEXT NOT NULL                  -- JSON: {"groups": [...], "iban", "context", "biks"}
) WITHOUT ROWID;

CREATE INDEX split_tails_by_age ON split_tails (at);
