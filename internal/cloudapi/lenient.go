package cloudapi

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
)

// unstringify returns v, a decoded JSON value bound for a Go value of type
// t, with every string that stands where t wants an array or an object and
// that holds one replaced by what it holds, at any depth. The Graph API
// takes array and object parameters sent as JSON text (form encoding, and
// client libraries that send `"contacts": "[...]"` in a JSON body); a
// string where t wants a string is left alone, whatever it holds.
func unstringify(v any, t reflect.Type) any {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t == reflect.TypeFor[json.RawMessage]() || t.Kind() == reflect.Interface {
		return v
	}
	if s, ok := v.(string); ok {
		k := t.Kind()
		wantsContainer := k == reflect.Slice || k == reflect.Array || k == reflect.Map || k == reflect.Struct
		if !wantsContainer || t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8 {
			return v // a string field, or []byte (base64 text)
		}
		s = strings.TrimSpace(s)
		if !strings.HasPrefix(s, "[") && !strings.HasPrefix(s, "{") {
			return v
		}
		var inner any
		if err := json.Unmarshal([]byte(s), &inner); err != nil {
			return v
		}
		v = inner
	}
	switch x := v.(type) {
	case []any:
		if k := t.Kind(); k == reflect.Slice || k == reflect.Array {
			for i := range x {
				x[i] = unstringify(x[i], t.Elem())
			}
		}
	case map[string]any:
		switch t.Kind() {
		case reflect.Map:
			for k, e := range x {
				x[k] = unstringify(e, t.Elem())
			}
		case reflect.Struct:
			fields := map[string]reflect.Type{}
			fieldTypes(t, fields)
			for k, e := range x {
				if ft, ok := fields[k]; ok {
					x[k] = unstringify(e, ft)
				} else if ft, ok := fields[strings.ToLower(k)]; ok {
					x[k] = unstringify(e, ft)
				}
			}
		}
	}
	return v
}

// fieldTypes maps the JSON names of struct t's fields (embedded structs'
// included, and each name in lower case too, as encoding/json matches
// names without case) to their types.
func fieldTypes(t reflect.Type, out map[string]reflect.Type) {
	for f := range t.Fields() {
		if !f.IsExported() && !f.Anonymous {
			continue
		}
		tag := f.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				fieldTypes(ft, out)
				continue
			}
		}
		if name == "" {
			name = f.Name
		}
		if _, taken := out[name]; !taken {
			out[name] = f.Type
		}
		if _, taken := out[strings.ToLower(name)]; !taken {
			out[strings.ToLower(name)] = f.Type
		}
	}
}

// decodeLenient decodes JSON text into v, taking array and object
// parameters sent as JSON strings (unstringify). The common case, a body
// that decodes as it is, costs one decoding; only a type mismatch takes
// the second, generic pass.
func decodeLenient(body []byte, v any) error {
	err := json.Unmarshal(body, v)
	var te *json.UnmarshalTypeError
	if err == nil || !errors.As(err, &te) {
		return err
	}
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer && !rv.IsNil() {
		rv.Elem().SetZero() // start again from nothing
	}
	var generic any
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.UseNumber()
	if err := dec.Decode(&generic); err != nil {
		return err
	}
	generic = unstringify(generic, reflect.TypeOf(v))
	b, err := json.Marshal(generic)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}
