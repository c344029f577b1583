package noscan

import (
	"reflect"
	"testing"
)

func TestHoldsPointers(t *testing.T) {
	type flat struct {
		a, b int32
		c    [4]uint8
		d    struct{ e float64 }
	}
	type nested struct {
		f flat
		g [2]struct{ h *int }
	}
	for _, tt := range []struct {
		v    any
		want bool
	}{
		{flat{}, false}, {[0]*int{}, false}, {int64(0), false},
		{nested{}, true}, {"", true}, {[]int{}, true}, {map[int]int{}, true}, {struct{ i any }{}, true},
		{struct{ f func() }{}, true}, {[3]string{}, true},
	} {
		if got := HoldsPointers(reflect.TypeOf(tt.v)); got != tt.want {
			t.Errorf("HoldsPointers(%T) = %v, want %v", tt.v, got, tt.want)
		}
	}
}
