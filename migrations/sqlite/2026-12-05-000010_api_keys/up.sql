-- API keys for integrators: each key acts as its own service account (a
-- user that never signs in as a person, `service`), an observer of one
-- programme. Only the SHA-256 of the key's secret is stored; a revoked key
-- stops working at once.
ALTER TABLE users ADD COLUMN service INTEGER NOT NULL DEFAULT 0 CHECK (service IN (0, 1));

CREATE TABLE api_keys (
    id            TEXT PRIMARY KEY,
    program_id    TEXT NOT NULL REFERENCES programs (id) ON DELETE CASCADE,
    user_id       TEXT NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    secret_hash   TEXT NOT NULL,
    created_by    TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at    TEXT NOT NULL,
    last_used_at  TEXT,
    revoked_at    TEXT
) STRICT;
CREATE INDEX api_keys_program_idx ON api_keys (program_id, created_at, id);
