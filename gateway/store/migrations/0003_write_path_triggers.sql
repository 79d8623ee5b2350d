-- Two bookkeeping writes move into triggers, so archiving a message and appending an audit
-- record each cost one statement less on the relay's hot path (every statement is a trip to
-- the database thread). The values written are exactly what the code wrote before.

-- The conversation's "last message" time, for the inbox order.
CREATE TRIGGER messages_last_message_at AFTER INSERT ON messages BEGIN
    UPDATE conversations
    SET last_message_at = max(coalesce(last_message_at, 0), NEW.sent_at)
    WHERE id = NEW.conversation_id;
END;

-- The audit chain's head anchor ("seq:hash" under kv 'audit.head'): verify compares the chain
-- with it, so records removed from the end are detected.
CREATE TRIGGER audit_head AFTER INSERT ON audit BEGIN
    INSERT OR REPLACE INTO kv (key, value, updated_at)
    VALUES ('audit.head', NEW.seq || ':' || NEW.hash, NEW.at);
END;
