package ordering

import "testing"

func TestReceiptOf(t *testing.T) {
	delivered := map[string]int{"A": 2, "S": 4}
	for _, tt := range []struct {
		lines []ReceivedLine
		want  string
		err   bool
	}{
		{nil, ReceiptConfirmed, false},
		{[]ReceivedLine{{Brand: "A", Received: 2}}, ReceiptConfirmed, false},
		{[]ReceivedLine{{Brand: "S", Received: 3}}, ReceiptShort, false},
		{[]ReceivedLine{{Brand: "S", Received: 5}}, "", true},
		{[]ReceivedLine{{Brand: "X", Received: 1}}, "", true},
	} {
		got, err := ReceiptOf(delivered, tt.lines)
		if got != tt.want || (err != nil) != tt.err {
			t.Errorf("ReceiptOf(%+v) = %q, %v; want %q (error %v)", tt.lines, got, err, tt.want, tt.err)
		}
	}
}

func TestReturnChecks(t *testing.T) {
	if err := ValidateReturn([]ReturnLine{{Brand: "S", Cartons: 1}}); err == nil {
		t.Error("ValidateReturn(no reason) = nil; want an error")
	}
	if err := ValidateReturn(nil); err == nil {
		t.Error("ValidateReturn(no lines) = nil; want an error")
	}
	if err := ValidateReturn([]ReturnLine{{Brand: "S", Cartons: 2, Reason: "damp"}}); err != nil {
		t.Errorf("ValidateReturn(valid) = %v", err)
	}
	returnable := map[string]int{"S": 2}
	if err := CheckReturn(returnable, []ReturnLine{{Brand: "S", Cartons: 2}}); err != nil {
		t.Errorf("CheckReturn(all that is left) = %v", err)
	}
	for _, l := range []ReturnLine{{Brand: "S", Cartons: 3}, {Brand: "X", Cartons: 1}} {
		if err := CheckReturn(returnable, []ReturnLine{l}); err == nil {
			t.Errorf("CheckReturn(%+v) = nil; want an error", l)
		}
	}
}
