package noscan

import (
	"reflect"
	"testing"
)

func TestHoldsPointers(t *testing.T) {
	type flat struct {
		A, B int32
		C    [4]uint8
		D    struct{ E float64 }
	}
	type nested struct {
		F flat
		G [2]struct{ H *int }
	}
	for _, tt := range []struct {
		v    any
		want bool
	}{
		{flat{}, false}, {[0]*int{}, false}, {int64(0), false},
		{nested{}, true}, {"", true}, {[]int{}, true}, {map[int]int{}, true}, {struct{ I any }{}, true},
		{struct{ F func() }{}, true}, {[3]string{}, true},
	} {
		if got := HoldsPointers(reflect.TypeOf(tt.v)); got != tt.want {
			t.Errorf("HoldsPointers(%T) = %v, want %v", tt.v, got, tt.want)
		}
	}
}
