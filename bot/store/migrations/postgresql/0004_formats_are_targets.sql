-- 0004: a subscription's format names a delivery target (`bot.delivery.targets.TARGETS`), as
-- SQLite's 0004: the CHECK of 0001 listing two formats becomes a length check, so a new target
-- is no schema change (names are checked where subscriptions are made).
ALTER TABLE subscriptions DROP CONSTRAINT subscriptions_format_check;
ALTER TABLE subscriptions ADD CONSTRAINT subscriptions_format_check
    CHECK (length(format) BETWEEN 1 AND 32);
