-- Placeholder on branch planner-scale only: version 0014 belongs to another branch (migration versions may
-- have no gap, and this branch's own is 0016). Delete this file at merge.
SELECT 1;
