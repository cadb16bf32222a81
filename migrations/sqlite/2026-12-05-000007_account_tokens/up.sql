-- How an account's password stands: chosen by its user (`set`), generated or
-- issued by an admin and to be replaced at the next sign-in (`change_required`),
-- or not chosen yet because the account was created by invitation (`invited`).
ALTER TABLE users ADD COLUMN password_state TEXT NOT NULL DEFAULT 'set'
    CHECK (password_state IN ('set', 'change_required', 'invited'));

-- Single-use, expiring tokens with which a user sets their own password: an
-- invitation (new account) or a password reset. Only the SHA-256 of the token
-- is kept; a token is spent by `used_at`, and issuing a new one for the same
-- user withdraws the older ones (`used_at` set, `withdrawn` true).
CREATE TABLE account_tokens (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose     TEXT NOT NULL CHECK (purpose IN ('invitation', 'password_reset')),
    token_hash  TEXT NOT NULL,
    issued_by   TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_at     TEXT,
    withdrawn   INTEGER NOT NULL DEFAULT 0 CHECK (withdrawn IN (0, 1))
) STRICT;
CREATE UNIQUE INDEX account_tokens_hash_key ON account_tokens (token_hash);
CREATE INDEX account_tokens_user_idx ON account_tokens (user_id, created_at);
