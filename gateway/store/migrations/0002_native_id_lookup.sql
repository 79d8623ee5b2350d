-- Telegram reports deletions in private chats by message id alone, without the chat; message
-- ids are unique per account there, so the router finds the chat from the id. This index keeps
-- that lookup a search instead of a scan of the whole archive.
CREATE INDEX messages_by_native_id ON messages (native_id);

-- The control API shows each message with its policy decision (audit) and delivery state
-- (outbox); both are looked up by message, page by page, on archives of millions of rows.
CREATE INDEX audit_by_subject ON audit (subject);
CREATE INDEX outbox_by_message ON outbox (message_id);
