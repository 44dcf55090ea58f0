package retailer

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Errors of accounts and sessions. Match them with errors.Is.
var (
	// ErrInvalidCredentials: the username is unknown, the password wrong or the user disabled. The
	// three are one error so that a login does not tell which usernames exist.
	ErrInvalidCredentials = errors.New("retailer: invalid username or password")
	// ErrTooManyAttempts: a login budget of the LoginPolicy is spent (attempts at the account from the
	// client, at the account from all clients, or from the client at any account); a *RetryError
	// wrapping it says when to try again.
	ErrTooManyAttempts = errors.New("retailer: too many login attempts, try again later")
	// ErrBusy: every password-hashing slot stayed taken for the policy's HashWait; a *RetryError
	// wrapping it says when to try again.
	ErrBusy = errors.New("retailer: too many logins in progress, try again later")
	// ErrUnauthenticated: a bearer token that is missing, malformed, unknown, expired or revoked, or
	// whose user is disabled.
	ErrUnauthenticated = errors.New("retailer: not authenticated")
	// ErrNotFound: no such object, or not one the caller may see. The two are one error so that a
	// caller learns nothing of other outlets' objects.
	ErrNotFound = errors.New("retailer: not found")
	// ErrUsernameTaken: a user with that username (compared case-insensitively) exists.
	ErrUsernameTaken = errors.New("retailer: username taken")
	// ErrInvalid: an input with invalid fields; a *ValidationError names them and matches it.
	ErrInvalid = errors.New("retailer: invalid input")
)

// Login limits and session lifetime: MaxFailedLogins is the attempts at one account from one client
// admitted within LoginWindow (see LoginPolicy).
const (
	MaxFailedLogins = 10
	LoginWindow     = time.Minute
	SessionTTL      = 12 * time.Hour
	MinPassword     = 8
)

// Role says what a user may see and do.
type Role string

// Roles.
const (
	RoleRetailer     Role = "retailer"     // exactly one outlet: its own profile, catalogue, orders and scans
	RoleManager      Role = "manager"      // the outlets assigned to the account manager
	RolePlanner      Role = "planner"      // every outlet; supply plans, limits, forecasts, scores
	RoleAdmin        Role = "admin"        // every outlet; users
	RoleManufacturer Role = "manufacturer" // its own brands
	RoleLogistics    Role = "logistics"    // records deliveries of paid orders
)

// Roles lists every role, in a fixed order.
var Roles = []Role{RoleRetailer, RoleManager, RolePlanner, RoleAdmin, RoleManufacturer, RoleLogistics}

// Principal is the authenticated caller of a request, as its session says.
type Principal struct {
	UserID         int64
	Username       string
	Role           Role
	OutletID       int64 // the retailer's outlet; 0 for other roles
	ManagerID      int64 // the account manager; 0 for other roles
	ManufacturerID int64 // the manufacturer; 0 for other roles
}

// SeesAllOutlets reports whether the principal may see every outlet.
func (p Principal) SeesAllOutlets() bool { return p.Role == RolePlanner || p.Role == RoleAdmin }

type principalKey struct{}

// WithPrincipal returns a context that carries p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the principal ctx carries, if any.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// ValidationError lists what is wrong with an input, field by field.
type ValidationError struct {
	Fields map[string]string // field name → what is wrong with it
}

func (e *ValidationError) Error() string {
	names := make([]string, 0, len(e.Fields))
	for f := range e.Fields {
		names = append(names, f)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, f := range names {
		parts[i] = f + ": " + e.Fields[f]
	}
	return "retailer: invalid input: " + strings.Join(parts, "; ")
}

// FieldErrors returns the field-level detail, for problem responses.
func (e *ValidationError) FieldErrors() map[string]string { return e.Fields }

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *ValidationError) Unwrap() error { return ErrInvalid }

// orNil returns e if it names a field, nil otherwise.
func (e *ValidationError) orNil() error {
	if len(e.Fields) == 0 {
		return nil
	}
	return e
}

// NewUser is what an administrator gives to create a user.
type NewUser struct {
	Username     string
	Password     string
	Role         Role
	Outlet       string // licence number, for a retailer
	Manager      string // account manager code, for a manager
	Manufacturer string // manufacturer code, for a manufacturer
}

// Validate checks the fields of u that need no store.
func (u NewUser) Validate() error {
	v := &ValidationError{Fields: map[string]string{}}
	if err := validUsername(u.Username); err != "" {
		v.Fields["username"] = err
	}
	if err := validPassword(u.Password); err != "" {
		v.Fields["password"] = err
	}
	need := map[Role]string{RoleRetailer: "outlet", RoleManager: "manager", RoleManufacturer: "manufacturer"}
	given := map[string]string{"outlet": u.Outlet, "manager": u.Manager, "manufacturer": u.Manufacturer}
	switch u.Role {
	case RoleRetailer, RoleManager, RolePlanner, RoleAdmin, RoleManufacturer, RoleLogistics:
		for field, value := range given {
			if field == need[u.Role] && value == "" {
				v.Fields[field] = fmt.Sprintf("required for role %s", u.Role)
			}
			if field != need[u.Role] && value != "" {
				v.Fields[field] = fmt.Sprintf("not allowed for role %s", u.Role)
			}
		}
	default:
		v.Fields["role"] = fmt.Sprintf("%q: want one of retailer, manager, planner, admin, manufacturer", u.Role)
	}
	return v.orNil()
}

func validUsername(s string) string {
	if len(s) < 3 || len(s) > 64 {
		return "3 to 64 characters"
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-' || r == '@') {
			return "letters, digits and . _ - @ only"
		}
	}
	return ""
}

func validPassword(s string) string {
	if n := utf8.RuneCountInString(s); n < MinPassword || len(s) > 256 {
		return fmt.Sprintf("%d to 256 characters", MinPassword)
	}
	return ""
}

// ValidatePassword checks a new password.
func ValidatePassword(p string) error {
	if err := validPassword(p); err != "" {
		return &ValidationError{Fields: map[string]string{"password": err}}
	}
	return nil
}

// argon2id parameters (OWASP's recommendation: 19 MiB, 2 passes, 1 lane).
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
)

// HashPassword returns password hashed with argon2id and a random salt, in the PHC string format
// ($argon2id$v=19$m=…,t=…,p=…$salt$hash), which records the parameters alongside.
func HashPassword(password string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("retailer: password salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// PasswordMatches reports whether password hashes to encoded (as HashPassword writes it), in time
// that does not depend on where the two differ. A malformed encoding never matches.
func PasswordMatches(encoded, password string) bool {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var version int
	var memory, iterations uint32
	var threads uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &memory, &iterations, &threads); err != nil ||
		memory == 0 || memory > 1<<20 || iterations == 0 || iterations > 10 || threads == 0 {
		return false
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return false
	}
	want, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil || len(want) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, iterations, memory, threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// tokenPrefix marks ordercast bearer tokens, so that a leaked one is easy to recognise.
const tokenPrefix = "oc_"

// NewToken returns a new opaque bearer token and the hash under which it is stored: the token
// itself is never stored.
func NewToken() (token string, hash []byte, err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", nil, fmt.Errorf("retailer: token: %w", err)
	}
	token = tokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	return token, TokenHash(token), nil
}

// TokenHash returns the stored hash of a token.
func TokenHash(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// WellFormedToken reports whether token has the shape NewToken gives, so that a malformed one is
// refused without a store lookup.
func WellFormedToken(token string) bool {
	rest, ok := strings.CutPrefix(token, tokenPrefix)
	if !ok || len(rest) != 43 {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(rest)
	return err == nil
}
