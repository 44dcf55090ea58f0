package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/labstack/echo/v4"
)

// apiDoc is the OpenAPI document as the documentation page shows it: every operation with its
// parameters, request body and responses, and every schema with its properties.
type apiDoc struct {
	Title, Version, Description string
	Operations                  []apiOperation
	Schemas                     []apiSchema
}

type apiOperation struct {
	ID, Method, Path, Summary, Description, Tag string
	Public                                      bool
	Params                                      []apiField
	Body                                        string
	Responses                                   []apiField
}

type apiSchema struct {
	Name, Description string
	Fields            []apiField
}

// apiField is a parameter, a property or a response: its name, where it goes or its type, and what
// it means.
type apiField struct {
	Name, Type, Description string
	Required                bool
}

// parseAPIDoc reads the parts of an OpenAPI 3 document the page shows.
func parseAPIDoc(raw []byte) (apiDoc, error) {
	var doc struct {
		Info struct {
			Title, Version, Description string
		}
		Security   []map[string][]string
		Components struct {
			Schemas   map[string]schema
			Responses map[string]struct{ Description string }
		}
		Paths map[string]map[string]json.RawMessage
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return apiDoc{}, fmt.Errorf("web: read the OpenAPI document: %w", err)
	}
	d := apiDoc{Title: doc.Info.Title, Version: doc.Info.Version, Description: doc.Info.Description}
	for path, item := range doc.Paths {
		var shared []parameter
		if p, ok := item["parameters"]; ok {
			if err := json.Unmarshal(p, &shared); err != nil {
				return apiDoc{}, fmt.Errorf("web: parameters of %s: %w", path, err)
			}
		}
		for method, rawOp := range item {
			if method == "parameters" {
				continue
			}
			var op struct {
				OperationID, Summary, Description string
				Tags                              []string
				Security                          *[]map[string][]string
				Parameters                        []parameter
				RequestBody                       *struct {
					Content map[string]struct{ Schema schema }
				}
				Responses map[string]struct {
					Ref         string `json:"$ref"`
					Description string
				}
			}
			if err := json.Unmarshal(rawOp, &op); err != nil {
				return apiDoc{}, fmt.Errorf("web: %s %s: %w", method, path, err)
			}
			o := apiOperation{ID: op.OperationID, Method: strings.ToUpper(method), Path: "/api/v1" + path,
				Summary: op.Summary, Description: op.Description,
				Public: len(doc.Security) == 0 || (op.Security != nil && len(*op.Security) == 0)}
			if len(op.Tags) > 0 {
				o.Tag = op.Tags[0]
			}
			for _, p := range append(shared, op.Parameters...) {
				o.Params = append(o.Params, apiField{Name: p.Name, Type: p.In + ", " + p.Schema.text(),
					Description: p.Description, Required: p.Required})
			}
			if op.RequestBody != nil {
				for _, c := range op.RequestBody.Content {
					o.Body = c.Schema.text()
				}
			}
			for code, r := range op.Responses {
				desc := r.Description
				if r.Ref != "" {
					desc = doc.Components.Responses[refName(r.Ref)].Description
				}
				o.Responses = append(o.Responses, apiField{Name: code, Description: desc})
			}
			sort.Slice(o.Responses, func(i, j int) bool { return o.Responses[i].Name < o.Responses[j].Name })
			d.Operations = append(d.Operations, o)
		}
	}
	order := map[string]int{"GET": 0, "POST": 1, "PUT": 2, "DELETE": 3}
	sort.Slice(d.Operations, func(i, j int) bool {
		a, b := d.Operations[i], d.Operations[j]
		if a.Tag != b.Tag {
			return a.Tag < b.Tag
		}
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		return order[a.Method] < order[b.Method]
	})
	for name, s := range doc.Components.Schemas {
		sc := apiSchema{Name: name, Description: s.Description}
		required := map[string]bool{}
		for _, r := range s.Required {
			required[r] = true
		}
		for prop, ps := range s.Properties {
			sc.Fields = append(sc.Fields, apiField{Name: prop, Type: ps.text(), Description: ps.Description, Required: required[prop]})
		}
		sort.Slice(sc.Fields, func(i, j int) bool { return sc.Fields[i].Name < sc.Fields[j].Name })
		d.Schemas = append(d.Schemas, sc)
	}
	sort.Slice(d.Schemas, func(i, j int) bool { return d.Schemas[i].Name < d.Schemas[j].Name })
	return d, nil
}

type parameter struct {
	Name, In, Description string
	Required              bool
	Schema                schema
}

// schema is the part of a JSON schema the page describes.
type schema struct {
	Ref                  string `json:"$ref"`
	Type                 any    // a name, or a list of names (3.1)
	Format, Description  string
	Enum                 []any
	Items                *schema
	Properties           map[string]schema
	Required             []string
	AdditionalProperties any
	OneOf, AnyOf, AllOf  []schema
}

// text describes a schema in a line: a schema's name, a type, {a, b?} for an object, [T] for an array.
func (s schema) text() string {
	switch {
	case s.Ref != "":
		return refName(s.Ref)
	case len(s.OneOf)+len(s.AnyOf)+len(s.AllOf) > 0:
		var parts []string
		for _, x := range append(append(s.OneOf, s.AnyOf...), s.AllOf...) {
			parts = append(parts, x.text())
		}
		return strings.Join(parts, " | ")
	case s.Items != nil:
		return "[" + s.Items.text() + "]"
	case len(s.Properties) > 0:
		required := map[string]bool{}
		for _, r := range s.Required {
			required[r] = true
		}
		var names []string
		for n := range s.Properties {
			names = append(names, n)
		}
		sort.Strings(names)
		for i, n := range names {
			opt := "?"
			if required[n] {
				opt = ""
			}
			names[i] = n + opt + ": " + s.Properties[n].text()
		}
		return "{" + strings.Join(names, ", ") + "}"
	}
	t := fmt.Sprint(s.Type)
	if s.Type == nil {
		t = "any"
	}
	if s.Format != "" {
		t += " (" + s.Format + ")"
	}
	if len(s.Enum) > 0 {
		var vals []string
		for _, v := range s.Enum {
			vals = append(vals, fmt.Sprint(v))
		}
		t += ": " + strings.Join(vals, " | ")
	}
	return t
}

func refName(ref string) string { return ref[strings.LastIndex(ref, "/")+1:] }

// apiDocs is the documentation page for integrators, rendered from the OpenAPI document the API
// serves at /api/v1/openapi.json.
func (p *Pages) apiDocs(c echo.Context) error {
	var u *user
	if m, err := p.session(c); err == nil {
		u = &m.User
	}
	return p.render(c, http.StatusOK, "docs", u, p.doc)
}
