package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/ordercast/ordercast/deploy/stores"
	"github.com/ordercast/ordercast/retailer"
	retailerpg "github.com/ordercast/ordercast/retailer/postgres"
)

const userSummary = "Manages users (for administrators):\n" +
	"  ordercast user add -username NAME -role ROLE [-outlet LICENCE | -manager CODE | -manufacturer CODE] -password-file F\n" +
	"  ordercast user passwd -username NAME -password-file F     (revokes the user's sessions)\n" +
	"  ordercast user disable -username NAME                      (revokes the user's sessions)\n" +
	"Roles: retailer (one outlet), manager (an account manager's outlets), planner, admin, manufacturer, logistics.\n" +
	"The password is the first line of F; use -password-file /dev/stdin to pipe it in. It is never a flag,\n" +
	"so it does not show in the process list."

func runUser(ctx context.Context, e env, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
		w := e.stdout
		if len(args) == 0 {
			w = e.stderr
		}
		fmt.Fprintf(w, "Usage: ordercast user add|passwd|disable [flags]\n\n%s\n", userSummary)
		if len(args) == 0 {
			return ErrUsage
		}
		return flag.ErrHelp
	}
	verb := args[0]
	if verb != "add" && verb != "passwd" && verb != "disable" {
		fmt.Fprintf(e.stderr, "ordercast user: unknown action %q; want add, passwd or disable\n", verb)
		return ErrUsage
	}
	fs := flag.NewFlagSet("user "+verb, flag.ContinueOnError)
	var cfg storeConfig
	cfg.register(fs, e.getenv)
	var u retailer.NewUser
	var role, passwordFile string
	fs.StringVar(&u.Username, "username", "", "the user's login name (required)")
	if verb == "add" {
		fs.StringVar(&role, "role", "", "retailer, manager, planner, admin, manufacturer or logistics (required)")
		fs.StringVar(&u.Outlet, "outlet", "", "licence number of a retailer's outlet")
		fs.StringVar(&u.Manager, "manager", "", "account manager code of a manager")
		fs.StringVar(&u.Manufacturer, "manufacturer", "", "manufacturer code of a manufacturer's user")
	}
	if verb != "disable" {
		fs.StringVar(&passwordFile, "password-file", "", "file whose first line is the password; /dev/stdin to pipe it (required)")
	}
	if err := parseFlags(fs, e, userSummary, args[1:]); err != nil {
		return err
	}
	var missing []error
	if u.Username == "" {
		missing = append(missing, errors.New("-username is required"))
	}
	if verb != "disable" && passwordFile == "" {
		missing = append(missing, errors.New("-password-file is required"))
	}
	if err := usageError(e, fs, errors.Join(missing...), cfg.validate()); err != nil {
		return err
	}
	if verb != "disable" {
		pw, err := readPassword(passwordFile)
		if err != nil {
			return err
		}
		u.Password = pw
	}
	u.Role = retailer.Role(role)
	if verb == "add" {
		if err := usageError(e, fs, u.Validate()); err != nil {
			return err
		}
	}

	pool, err := stores.OpenPostgres(ctx, cfg.PostgresDSN)
	if err != nil {
		return err
	}
	defer pool.Close()
	users := retailerpg.New(pool)
	switch verb {
	case "add":
		hash, err := retailer.HashPassword(u.Password)
		if err != nil {
			return err
		}
		p, err := users.AddUser(ctx, u, hash)
		var invalid *retailer.ValidationError
		if errors.As(err, &invalid) {
			return usageError(e, fs, err) // an outlet, manager or manufacturer that does not exist
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "added user %s (id %d, role %s)\n", p.Username, p.UserID, p.Role)
	case "passwd":
		if err := retailer.ValidatePassword(u.Password); err != nil {
			return err
		}
		hash, err := retailer.HashPassword(u.Password)
		if err != nil {
			return err
		}
		if err := users.SetPassword(ctx, u.Username, hash, time.Now()); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "changed the password of %s and revoked its sessions\n", u.Username)
	case "disable":
		if err := users.DisableUser(ctx, u.Username, time.Now()); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "disabled %s and revoked its sessions\n", u.Username)
	}
	return nil
}

// readPassword returns the first line of the named file.
func readPassword(name string) (string, error) {
	f, err := os.Open(name)
	if err != nil {
		return "", fmt.Errorf("read password: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 4096))
	if err != nil {
		return "", fmt.Errorf("read password: %w", err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	return strings.TrimRight(line, "\r"), nil
}
