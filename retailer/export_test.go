package retailer

// SetPasswordCheck replaces how s compares a password with its hash, so that tests can count and
// time the checks.
func SetPasswordCheck(s *Sessions, check func(encoded, password string) bool) { s.check = check }
