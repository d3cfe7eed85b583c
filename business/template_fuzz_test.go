package business

import (
	"encoding/json"
	"errors"
	"testing"
)

// FuzzTemplateRender renders send-time parameters (given as JSON) into a
// template whose body text is also fuzzed: validate and render never
// panic, and every refusal is a CloudError with a code.
func FuzzTemplateRender(f *testing.F) {
	f.Add("Order {{1}} ships on {{2}}", "positional", []byte(`[{"Type":"body","Params":[{"Text":"A1"},{"Text":"May"}]}]`))
	f.Add("Hi {{first_name}}, {{code}} is yours", "named", []byte(`[{"Type":"body","Params":[{"Name":"first_name","Text":"Al"},{"Name":"code","Text":"X"}]}]`))
	f.Add("Hi {{1}", "positional", []byte(`[{"Type":"body","Params":[{"Text":"{{1}}"}]}]`))
	f.Add("{{0}} {{99999999999999999999}}", "positional", []byte(`[{"Type":"header","Params":[{"Media":{}}]},{"Type":"button","SubType":"url","Index":-1}]`))
	f.Add("{{}}{{{{1}}}}", "named", []byte(`null`))
	f.Fuzz(func(t *testing.T, body, format string, params []byte) {
		var comps []TemplateSendComponent
		if json.Unmarshal(params, &comps) != nil {
			return
		}
		tpl := Template{Name: "fuzz", Language: "en", Category: CategoryUtility, ParameterFormat: format, Components: []TemplateComponent{
			{Type: "HEADER", Format: "IMAGE"},
			{Type: "BODY", Text: body},
			{Type: "BUTTONS", Buttons: []TemplateButton{{Type: "URL", Text: "Go", URL: "https://example.com/{{1}}"}}},
		}}
		if err := tpl.validate(); err != nil {
			var ce *CloudError
			if !errors.As(err, &ce) || ce.Code == 0 {
				t.Fatalf("validate: error %v is not a CloudError with a code", err)
			}
			return
		}
		if _, err := tpl.render(comps); err != nil {
			var ce *CloudError
			if !errors.As(err, &ce) || ce.Code == 0 {
				t.Fatalf("render: error %v is not a CloudError with a code", err)
			}
		}
	})
}
