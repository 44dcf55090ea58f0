-- The allocation whose limits a supply plan line's brand has in the cycle: set when a planner
-- publishes one (PublishAllocation), kept when the line's supply or cap is changed by hand (the
-- limits are still that allocation's). NULL for a line no allocation was published for, and for the
-- lines written before this column. It names the allocation in the archive, and lets a planner's page
-- tell its own publication, pressed twice, from someone else's.
ALTER TABLE supply_plans ADD COLUMN allocation_id text;
