-- Telegram reports deletions in private chats by message id alone, without the chat; message
-- ids are unique per account there, so the router finds the chat from the id. This index keeps
-- that lookup a search instead of a scan of the whole archive.
CREATE INDEX messages_by_native_id ON messages (native_id);
