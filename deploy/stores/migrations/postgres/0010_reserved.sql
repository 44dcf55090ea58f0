-- Placeholder for version 10, taken by another branch: the migrations may have no gap, and
-- 0012_job_state.sql follows. Drop this file when merging the branch that owns 0010.
SELECT 1;
