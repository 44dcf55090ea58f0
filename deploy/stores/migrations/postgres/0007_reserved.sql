-- Placeholder for version 7, which another branch takes: the migrations may have no gap, and
-- 0010_notifications.sql follows it. Drop this file when merging after that branch.
SELECT 1;
