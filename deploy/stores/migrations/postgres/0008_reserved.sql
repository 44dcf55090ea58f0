-- Placeholder for version 8, which the grades-demo branch takes: the migrations may have no gap, and
-- 0009_manager_work.sql follows. Drop this file when merging after grades-demo.
SELECT 1;
