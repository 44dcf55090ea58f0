// Package problemtest checks an HTTP adapter's problem table against the domain packages it serves.
package problemtest

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/ordercast/ordercast/cmd/ordercast/problem"
)

// Sentinels returns the names of the exported error variables (Err…) declared in the Go package in
// dir, tests left out.
func Sentinels(t testing.TB, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no Go files in %s: %v", dir, err)
	}
	fset := token.NewFileSet()
	var names []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range file.Decls {
			gen, ok := decl.(*ast.GenDecl)
			if !ok || gen.Tok != token.VAR {
				continue
			}
			for _, spec := range gen.Specs {
				for _, name := range spec.(*ast.ValueSpec).Names {
					if name.IsExported() && strings.HasPrefix(name.Name, "Err") {
						names = append(names, name.Name)
					}
				}
			}
		}
	}
	sort.Strings(names)
	return names
}

// CheckMapsEvery fails t unless every exported sentinel of the package in dir is in known (its name
// → its value) and table answers it, wrapped as handlers return it, with a status other than 500.
func CheckMapsEvery(t *testing.T, table problem.Table, dir string, known map[string]error) {
	t.Helper()
	r := problem.NewRenderer(table)
	for _, name := range Sentinels(t, dir) {
		err, ok := known[name]
		if !ok {
			t.Errorf("%s declares %s, which the test does not know: add it to the test and to the problem table", dir, name)
			continue
		}
		b, mapped := r.Of(fmt.Errorf("handler: %w", err))
		if !mapped || b.Status == http.StatusInternalServerError {
			t.Errorf("%s (%v) renders as %d %s; want a mapping other than 500", name, err, b.Status, b.Type)
		}
		if b.Detail == "" || strings.Contains(b.Detail, "handler:") {
			t.Errorf("%s renders with detail %q; want a sentence for the API's users", name, b.Detail)
		}
	}
}
