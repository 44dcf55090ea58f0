-- The version of a cycle's supply: 1 when the cycle is created, one more with each publication of
-- its supply (a supply plan, an allocation). The API answers it as the ETag of GET /cycles/{week}
-- and GET /cycles/{week}/supply, and PUT /cycles/{week}/supply with If-Match publishes only while the
-- supply is still at that version (412 otherwise), so a client never replaces a publication it did
-- not read.
ALTER TABLE cycles ADD COLUMN supply_version integer NOT NULL DEFAULT 1;
