// Package noscan tells whether a type holds pointers: the collector looks into every object that
// does, each cycle, and catalog-lint keeps hundreds of thousands of rows (questions, definitions)
// from the first files read to the end of a large run. Tests pin those rows' layout with it.
package noscan

import "reflect"

// HoldsPointers reports whether a value of type t holds a pointer the garbage collector follows: a
// pointer, string, slice, map, interface, function or channel, in it or in its fields and elements.
func HoldsPointers(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Pointer, reflect.String, reflect.Slice, reflect.Map, reflect.Interface, reflect.Func, reflect.Chan, reflect.UnsafePointer:
		return true
	case reflect.Array:
		return t.Len() > 0 && HoldsPointers(t.Elem())
	case reflect.Struct:
		for i := 0; i < t.NumField(); i++ {
			if HoldsPointers(t.Field(i).Type) {
				return true
			}
		}
	}
	return false
}
