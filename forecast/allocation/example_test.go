package allocation_test

import (
	"fmt"

	"github.com/ordercast/ordercast/forecast/allocation"
)

func ExampleAllocate() {
	in := allocation.Input{
		Brand:  "B0042",
		Supply: 5,
		Mode:   allocation.ByDemand,
		Outlets: []allocation.Outlet{
			{ID: "330102000018", Grade: 18, Status: allocation.Active, Area: "Xihu", Demand: 4.2},
			{ID: "330102000010", Grade: 10, Status: allocation.Active, Area: "Xihu", Demand: 2},
			{ID: "330102000005", Grade: 5, Status: allocation.Active, Area: "Binjiang", Demand: 0.8},
			{ID: "330102000030", Grade: 30, Status: allocation.Active, Area: "Binjiang", Demand: 9, Cap: 1},
			{ID: "330102000009", Grade: 9, Status: allocation.Suspended, Area: "Binjiang", Demand: 3},
		},
	}
	r, err := allocation.Allocate(in)
	if err != nil {
		fmt.Println(err)
		return
	}
	for i, l := range r.Limits {
		fmt.Printf("%s: %s\n", l.Outlet, r.Explain(i))
	}
	s := r.Summary()
	fmt.Printf("allocated %d of %d; coverage %.0f%%; fill rate %.2f; Gini %.2f\n",
		s.Allocated, s.Supply, 100*s.Coverage, s.FillRate, s.Gini)
	// Output:
	// 330102000018: limit 2 cartons: grade 18; forecast 4.2 cartons; supply covers 57% of demand; 2.4 rounded down to 2 by largest remainder
	// 330102000010: limit 1 carton: grade 10; forecast 2 cartons; supply covers 57% of demand; 1.14 rounded down to 1 by largest remainder
	// 330102000005: limit 1 carton: grade 5; forecast 0.8 cartons; supply covers 57% of demand; 0.46 rounded up to 1 by largest remainder
	// 330102000030: limit 1 carton: grade 30; forecast 9 cartons; supply covers 57% of demand; held at the outlet cap of 1 carton
	// 330102000009: outlet suspended: no allocation
	// allocated 5 of 5; coverage 100%; fill rate 0.30; Gini 0.32
}
