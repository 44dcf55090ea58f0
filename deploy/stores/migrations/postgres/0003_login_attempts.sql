-- Login throttling (retailer.LoginThrottle): one row per key (a client address, an account, or the
-- pair), holding the times of the attempts it admitted within its rolling window, at most max_attempts
-- of them. An attempt is counted by one INSERT ... ON CONFLICT DO UPDATE, which locks the key's row,
-- so concurrent logins from any number of serve instances are serialised by PostgreSQL.
CREATE TABLE login_attempts (
    key          text PRIMARY KEY,
    attempts     timestamptz[] NOT NULL,
    max_attempts integer NOT NULL CHECK (max_attempts > 0),
    admitted     boolean NOT NULL,         -- whether the last attempt was admitted
    last_at      timestamptz NOT NULL      -- the last attempt, admitted or not, for pruning
);
CREATE INDEX login_attempts_last_idx ON login_attempts (last_at);

-- Replaced by login_attempts: failures recorded after the password check let parallel guesses through.
DROP TABLE login_failures;
