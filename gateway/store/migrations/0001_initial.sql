-- The first schema: archive, links, delivery, approvals, audit chain and sync state.
-- Times are integer milliseconds since the Unix epoch (UTC): compact, sortable, unambiguous.

CREATE TABLE conversations (
    id              INTEGER PRIMARY KEY,
    network         TEXT NOT NULL,
    chat_id         TEXT NOT NULL,
    title           TEXT,
    created_at      INTEGER NOT NULL,
    last_message_at INTEGER,
    UNIQUE (network, chat_id)
);

CREATE TABLE links (
    id                       TEXT PRIMARY KEY,
    internal_conversation_id INTEGER NOT NULL REFERENCES conversations (id),
    external_conversation_id INTEGER NOT NULL REFERENCES conversations (id),
    outbound_format          TEXT,
    enabled                  INTEGER NOT NULL DEFAULT 1,
    created_at               INTEGER NOT NULL,
    UNIQUE (internal_conversation_id, external_conversation_id)
);

CREATE TABLE messages (
    id               INTEGER PRIMARY KEY,
    conversation_id  INTEGER NOT NULL REFERENCES conversations (id),
    native_id        TEXT NOT NULL,
    sender_id        TEXT NOT NULL,
    sender_name      TEXT,
    direction        TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    kind             TEXT NOT NULL DEFAULT 'text',
    body             TEXT NOT NULL DEFAULT '',
    spans            TEXT,              -- JSON [[offset, length, kind, extra], ...] or NULL
    attachments      TEXT,              -- JSON list of attachment descriptions or NULL
    reply_to_native  TEXT,
    edit_of_native   TEXT,
    sent_at          INTEGER NOT NULL,
    received_at      INTEGER NOT NULL,
    redacted_at      INTEGER,
    routed_at        INTEGER,           -- set in the transaction that wrote its outbox rows
    UNIQUE (conversation_id, native_id)
);
CREATE INDEX messages_by_conversation ON messages (conversation_id, id);
-- Messages archived but not yet routed (a crash between the two): found again at start-up.
CREATE INDEX messages_unrouted ON messages (id) WHERE routed_at IS NULL;

-- Full-text index over bodies and sender names. unicode61 folds case for Cyrillic as well as
-- Latin; "ё" is indexed as "е" (as Russian writers use them interchangeably; unicode61 only folds
-- Latin diacritics). External content: the text is not stored twice. Prefix indexes keep "платеж*"-style queries fast.
CREATE VIRTUAL TABLE messages_fts USING fts5 (
    body,
    sender_name,
    content = 'messages',
    content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3'
);
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (rowid, body, sender_name)
    VALUES (new.id, replace(replace(new.body, 'ё', 'е'), 'Ё', 'Е'), replace(replace(new.sender_name, 'ё', 'е'), 'Ё', 'Е'));
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, body, sender_name)
    VALUES ('delete', old.id, replace(replace(old.body, 'ё', 'е'), 'Ё', 'Е'), replace(replace(old.sender_name, 'ё', 'е'), 'Ё', 'Е'));
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF body, sender_name ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, body, sender_name)
    VALUES ('delete', old.id, replace(replace(old.body, 'ё', 'е'), 'Ё', 'Е'), replace(replace(old.sender_name, 'ё', 'е'), 'Ё', 'Е'));
    INSERT INTO messages_fts (rowid, body, sender_name)
    VALUES (new.id, replace(replace(new.body, 'ё', 'е'), 'Ё', 'Е'), replace(replace(new.sender_name, 'ё', 'е'), 'Ё', 'Е'));
END;

-- Our message ↔ the native id it has on each network it reached (the source and every copy).
CREATE TABLE message_map (
    message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    network    TEXT NOT NULL,
    chat_id    TEXT NOT NULL,
    native_id  TEXT NOT NULL,
    PRIMARY KEY (network, chat_id, native_id)
);
CREATE INDEX message_map_by_message ON message_map (message_id);

-- Operations waiting to be carried out on a network. The idempotency key (Matrix txn_id,
-- Telegram random_id) is written here before the first attempt, so a retry never duplicates.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    message_id      INTEGER REFERENCES messages (id),
    link_id         TEXT,
    target_network  TEXT NOT NULL,
    target_chat     TEXT NOT NULL,
    operation       TEXT NOT NULL CHECK (operation IN ('send', 'edit', 'delete', 'react', 'notice')),
    payload         TEXT NOT NULL,      -- JSON, already redacted by policy
    idempotency_key TEXT NOT NULL UNIQUE,
    state           TEXT NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'held', 'sent', 'failed', 'cancelled')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    remote_id       TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX outbox_queue ON outbox (target_network, target_chat, state, id);

CREATE TABLE approvals (
    id            INTEGER PRIMARY KEY,
    outbox_id     INTEGER NOT NULL REFERENCES outbox (id),
    message_id    INTEGER REFERENCES messages (id),
    link_id       TEXT,
    rule          TEXT NOT NULL,
    reason        TEXT NOT NULL,
    state         TEXT NOT NULL DEFAULT 'pending'
                  CHECK (state IN ('pending', 'approved', 'rejected', 'overridden')),
    decided_by    TEXT,
    decided_at    INTEGER,
    justification TEXT,
    created_at    INTEGER NOT NULL
);
CREATE INDEX approvals_pending ON approvals (state, id);

-- Append-only, hash-chained: hash = SHA-256(prev_hash || canonical JSON of the record).
CREATE TABLE audit (
    seq       INTEGER PRIMARY KEY,
    at        INTEGER NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    subject   TEXT,
    details   TEXT NOT NULL,            -- canonical JSON object
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
);

-- Sync tokens, Telegram update state, and other small durable values.
CREATE TABLE kv (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);
