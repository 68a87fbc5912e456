package httpapi_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// FuzzWrite throws arbitrary commands, tokens and bodies at the write API.
// Whatever comes in, the answer is one of the statuses the API promises,
// never a 500, always JSON with a message when it is an error, and nothing
// succeeds without a valid token.
func FuzzWrite(f *testing.F) {
	for _, seed := range []struct{ command, person, body string }{
		{"", "ana", `{"level":"P3","title":"x","service":"queue"}`},
		{"update", "ana", `{"text":"rolled back"}`},
		{"update", "", `{"text":"no token"}`},
		{"level", "cy", `{"level":"P1"}`},
		{"role", "ben", `{"role":"commander","person":"@ben"}`},
		{"role", "dee", `{"role":"handler","person":"<@U1>"}`},
		{"invite", "ana", `{"people":["fay","nobody"],"service":"queue"}`},
		{"task", "dee", `{"person":"gus","text":"look"}`},
		{"done", "gus", `{"task":-1}`},
		{"run", "ben", `{"plan":"drain-ledger","params":{"node":"ledger-1"},"override":"x"}`},
		{"approve", "dee", `{"run":1e99}`},
		{"deny", "dee", `{"run":"1"}`},
		{"resolve", "ana", `{"note":"ok"} {"note":"twice"}`},
		{"checkin", "eli", ``},
		{"nope", "ana", `{}`},
		{"update", "ana", `{"text":"` + strings.Repeat("a", 70000) + `"}`},
		{"update", "ana", `[1,2,3]`},
		{"update", "ana", `{"txet":"typo"}`},
	} {
		f.Add(seed.command, seed.person, []byte(seed.body))
	}
	f.Fuzz(func(t *testing.T, command, person string, body []byte) {
		r := newRig(t)
		id := r.declare()
		path := "/api/incidents"
		if command != "" {
			path += "/1/" + url.PathEscape(command)
		}
		valid := false
		for _, p := range people {
			valid = valid || p == person
		}
		req, err := http.NewRequest(http.MethodPost, r.url+path, strings.NewReader(string(body)))
		if err != nil {
			t.Skip("not a request line")
		}
		if strings.ContainsFunc(person, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			t.Skip("no HTTP client can send that header")
		}
		if person != "" {
			if valid {
				req.Header.Set("Authorization", "Bearer "+token(person))
			} else {
				req.Header.Set("Authorization", "Bearer "+person)
			}
		}
		a := r.do(req)
		switch a.Status {
		case 200, 201, 400, 401, 403, 404, 409, 413, 503:
		default:
			t.Fatalf("POST %s as %q: status %d: %s", path, person, a.Status, a.Raw)
		}
		if a.Status < 300 && !valid {
			t.Fatalf("POST %s succeeded without a valid token: %s", path, a.Raw)
		}
		if a.Status >= 400 && a.Error == "" && !json.Valid([]byte(a.Raw)) {
			t.Fatalf("POST %s: an error without a JSON message: %d %q", path, a.Status, a.Raw)
		}
		if a.Status >= 400 && strings.Contains(a.Error, "\n") {
			t.Fatalf("POST %s: a message of more than one line: %q", path, a.Error)
		}
		if _, err := r.db.Events(r.ctx, id); err != nil {
			t.Fatalf("the fault is gone: %v", err)
		}
	})
}
