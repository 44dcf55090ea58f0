package main

import (
	"context"
	"fmt"
	"io"

	"github.com/ordercast/ordercast/ordering"
	"github.com/ordercast/ordercast/retailer"
	retailerpg "github.com/ordercast/ordercast/retailer/postgres"
)

// demoPassword is the password of the users a seeded region comes with. A seeded region is for
// demonstrations and tests, never production data.
const demoPassword = "ordercast-demo"

// demoLogin is one user seed created, for its summary.
type demoLogin struct {
	username, role, sees string
}

// addDemoUsers creates one user of each role over the seeded master data: an admin, a planner, two
// account managers, a retailer of each of those managers, a manufacturer's user and logistics.
func addDemoUsers(ctx context.Context, users *retailerpg.Store, managers []retailer.Manager,
	outlets []retailer.Outlet, manufacturers []ordering.Manufacturer) ([]demoLogin, error) {
	wanted := []retailer.NewUser{
		{Username: "admin", Role: retailer.RoleAdmin},
		{Username: "planner", Role: retailer.RolePlanner},
		{Username: "logistics", Role: retailer.RoleLogistics},
	}
	for i, m := range managers[:min(2, len(managers))] {
		wanted = append(wanted, retailer.NewUser{Username: fmt.Sprintf("manager%d", i+1), Role: retailer.RoleManager, Manager: m.Code})
		for _, o := range outlets {
			if o.Manager == m.Code && o.Status == retailer.Active {
				wanted = append(wanted, retailer.NewUser{Username: fmt.Sprintf("retailer%d", i+1), Role: retailer.RoleRetailer, Outlet: o.Licence})
				break
			}
		}
	}
	if len(manufacturers) > 0 {
		wanted = append(wanted, retailer.NewUser{Username: "manufacturer1", Role: retailer.RoleManufacturer, Manufacturer: manufacturers[0].Code})
	}
	var logins []demoLogin
	for _, u := range wanted {
		u.Password = demoPassword
		hash, err := retailer.HashPassword(u.Password)
		if err != nil {
			return nil, err
		}
		if _, err := users.AddUser(ctx, u, hash); err != nil {
			return nil, fmt.Errorf("add demo user %s: %w", u.Username, err)
		}
		sees := map[retailer.Role]string{retailer.RoleAdmin: "everything, users", retailer.RolePlanner: "every outlet",
			retailer.RoleManager: "outlets of manager " + u.Manager, retailer.RoleRetailer: "outlet " + u.Outlet,
			retailer.RoleManufacturer: "brands of " + u.Manufacturer, retailer.RoleLogistics: "paid orders, to record deliveries"}[u.Role]
		logins = append(logins, demoLogin{u.Username, string(u.Role), sees})
	}
	return logins, nil
}

func printLogins(w io.Writer, logins []demoLogin) {
	if len(logins) == 0 {
		return
	}
	fmt.Fprintf(w, "logins (password %q):\n", demoPassword)
	for _, l := range logins {
		fmt.Fprintf(w, "  %-14s %-13s %s\n", l.username, l.role, l.sees)
	}
}
