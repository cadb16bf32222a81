-- API keys for integrators: each key acts as its own service account (a
-- user that never signs in as a person, `service`), an observer of one
-- programme. Only the SHA-256 of the key's secret is stored; a revoked key
-- stops working at once.
ALTER TABLE users ADD COLUMN service boolean NOT NULL DEFAULT false;

CREATE TABLE api_keys (
    id            uuid PRIMARY KEY,
    program_id    uuid NOT NULL REFERENCES programs (id) ON DELETE CASCADE,
    user_id       uuid NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    name          text NOT NULL,
    secret_hash   text NOT NULL,
    created_by    uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at    timestamptz NOT NULL,
    last_used_at  timestamptz,
    revoked_at    timestamptz
);
CREATE INDEX api_keys_program_idx ON api_keys (program_id, created_at, id);
