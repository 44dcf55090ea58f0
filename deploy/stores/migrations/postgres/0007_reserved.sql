-- Placeholder for version 7, taken by another branch: the migrations may have no gap, and
-- 0008_satisfaction_comments.sql follows. Drop this file when merging after the branch that owns 0007.
SELECT 1;
