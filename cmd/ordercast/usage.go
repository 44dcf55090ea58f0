package main

import (
	"errors"
	"flag"
	"fmt"
	"reflect"
	"sort"
	"strings"
)

// problems turns errors into the lines a person reads, one problem a line, in the order given: nil
// errors are skipped, errors joined with errors.Join are split into their parts, and an error that
// lists field errors (FieldErrors() map[string]string, as the domains' ValidationError) gives one
// line per field, sorted, as "-brand: unknown brand" when fs has a flag of that name (as "brand: …"
// otherwise). Never a Go slice or map.
func problems(fs *flag.FlagSet, errs ...error) []string {
	var lines []string
	var add func(err error)
	add = func(err error) {
		if err == nil {
			return
		}
		if joined, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range joined.Unwrap() {
				add(e)
			}
			return
		}
		var fields interface{ FieldErrors() map[string]string }
		if errors.As(err, &fields) && len(fields.FieldErrors()) > 0 {
			m := fields.FieldErrors()
			names := make([]string, 0, len(m))
			for name := range m {
				names = append(names, name)
			}
			sort.Strings(names)
			for _, name := range names {
				label := name
				if fs != nil && fs.Lookup(name) != nil {
					label = "-" + name
				}
				lines = append(lines, label+": "+m[name])
			}
			return
		}
		for _, line := range strings.Split(err.Error(), "\n") {
			if line = strings.TrimSpace(line); line != "" {
				lines = append(lines, line)
			}
		}
	}
	for _, err := range errs {
		add(err)
	}
	return lines
}

// usageError prints the problems of errs for the command fs names, one a line, each after
// "ordercast <command>: ", and returns ErrUsage; it returns nil when there is no problem.
func usageError(e env, fs *flag.FlagSet, errs ...error) error {
	lines := problems(fs, errs...)
	if len(lines) == 0 {
		return nil
	}
	var b strings.Builder
	for _, line := range lines {
		fmt.Fprintf(&b, "ordercast %s: %s\n", fs.Name(), line)
	}
	fmt.Fprint(e.stderr, b.String())
	return ErrUsage
}

// hint returns err with a message of its own that says what to do about it: errors.Is and errors.As
// still see err, the person reads only the message.
func hint(err error, format string, args ...any) error {
	return hinted{msg: fmt.Sprintf(format, args...), err: err}
}

type hinted struct {
	msg string
	err error
}

func (h hinted) Error() string { return h.msg }
func (h hinted) Unwrap() error { return h.err }

// jsonKind names, for a person, the JSON value a Go type decodes from: "an integer", not "a int".
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Pointer:
		return jsonKind(t.Elem())
	}
	return "a " + t.String()
}
