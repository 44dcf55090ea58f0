// Package backup holds the backup and restore scripts of ordercast's two stores (backup.sh,
// restore.sh). It has no code; its test seeds a region, backs it up, drops both stores, restores them
// and checks that every table reads the same.
package backup
