package httpapi

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/warroom/warroom/bot"
)

// The write API: POST /api/incidents declares, POST
// /api/incidents/{id}/{command} runs a command on a fault, as the person of
// the bearer token and under the same rules as chat (the core decides).

// maxBody is the most a write's JSON body may be.
const maxBody = 64 << 10

// Codes of this layer, beside the core's: they map to statuses too.
const (
	codeUnauthorized = "unauthorized"
	codeTooLarge     = "too_large"
)

func (s *Server) writeRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /api/incidents", s.declare)
	mux.HandleFunc("POST /api/incidents/{id}/{command}", s.command)
}

func (s *Server) logger() *slog.Logger {
	if s.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Log
}

// gate lets a write through: a core to run it, and a valid bearer token.
// It answers the request itself when it does not.
func (s *Server) gate(w http.ResponseWriter, r *http.Request) (bot.Actor, bool) {
	if s.Core == nil {
		s.error(w, r, bot.Errorf(bot.EUNAVAILABLE, "this server has no core to run commands"))
		return bot.Actor{}, false
	}
	tok, ok := s.authenticate(w, r)
	if !ok {
		return bot.Actor{}, false
	}
	return bot.Actor{Person: s.person(tok.Person), Via: bot.ViaAPI}, true
}

// authenticate finds the request's bearer token among api_tokens, or
// answers 401 saying how to get one. The token is never logged.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (bot.APIToken, bool) {
	got, sent := bearer(r.Header.Get("Authorization"))
	tok, ok := s.match(got)
	if !ok {
		s.logger().Warn("api write without a valid token", "method", r.Method, "path", r.URL.Path, "remote", r.RemoteAddr, "sent", sent)
		w.Header().Set("WWW-Authenticate", "Bearer")
		msg := "this needs a token: send Authorization: Bearer <token>, with a token from api_tokens in warroom's config (ask its operator for one)"
		if sent {
			msg = "that token is not one of api_tokens in warroom's config; send Authorization: Bearer <token> with one of them (ask its operator for one)"
		}
		s.error(w, r, bot.Errorf(codeUnauthorized, "%s", msg))
		return bot.APIToken{}, false
	}
	s.logger().Info("api write", "method", r.Method, "path", r.URL.Path, "token_name", tok.Name, "person", tok.Person)
	return tok, true
}

// bearer reads an Authorization header's bearer token; sent reports that
// there was one at all.
func bearer(h string) (token string, sent bool) {
	scheme, tok, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}

// Match finds an api_tokens token (the web login takes one); see match.
func (s *Server) Match(token string) (bot.APIToken, bool) { return s.match(token) }

// match finds the token among s.Tokens. Every token is compared, in
// constant time on equal-length SHA-256 sums, so neither where a match is
// nor how long the tokens are shows in the time taken. An empty token
// matches nothing.
func (s *Server) match(got string) (bot.APIToken, bool) {
	sum := sha256.Sum256([]byte(got))
	found := -1
	for i, t := range s.Tokens {
		want := sha256.Sum256([]byte(t.Token))
		eq := subtle.ConstantTimeCompare(sum[:], want[:]) &
			subtle.ConstantTimeLessOrEq(1, len(t.Token)) & subtle.ConstantTimeLessOrEq(1, len(got))
		found = subtle.ConstantTimeSelect(eq, i, found)
	}
	if found < 0 {
		return bot.APIToken{}, false
	}
	return s.Tokens[found], true
}

// person is the catalog's record of a token's person, or a bare one.
func (s *Server) person(id string) bot.Person {
	if s.Catalog != nil {
		if p, ok := s.Catalog.People[id]; ok {
			if p.ID == "" {
				p.ID = id
			}
			return p
		}
	}
	return bot.Person{ID: id}
}

func (s *Server) store() bot.Store {
	if s.Store != nil {
		return s.Store
	}
	return s.Core.Store()
}

// incident is a fault's JSON view, as GET /api/incidents/{id} serves it.
func (s *Server) incident(ctx context.Context, id int64) (Incident, error) {
	events, err := s.store().Events(ctx, id)
	if err != nil {
		return Incident{}, err
	}
	return BuildIncident(events), nil
}

// DeclareBody is POST /api/incidents's body.
type DeclareBody struct {
	Level   string `json:"level"`
	Title   string `json:"title"`
	Service string `json:"service"`
	Cause   string `json:"cause"`
	Kind    string `json:"kind"`
	Started string `json:"started"` // when it began: as started= on declare ("20m ago", RFC 3339...)
}

// declare serves POST /api/incidents: 201 {"incident": ...}.
func (s *Server) declare(w http.ResponseWriter, r *http.Request) {
	a, ok := s.gate(w, r)
	if !ok {
		return
	}
	var in DeclareBody
	if err := decode(http.MaxBytesReader(w, r.Body, maxBody), &in, "POST /api/incidents"); err != nil {
		s.error(w, r, err)
		return
	}
	if strings.TrimSpace(in.Level) == "" {
		s.error(w, r, bot.Errorf(bot.EINVALID, "level: a level is needed: P1, P2, P3 or P4 (P1 is the worst)"))
		return
	}
	lvl, err := bot.ParseLevel(in.Level)
	if err != nil {
		s.error(w, r, bot.Errorf(bot.EINVALID, "level: %s", bot.ErrorMessage(err)))
		return
	}
	var started time.Time
	if in.Started != "" {
		if started, err = bot.ParseStarted(in.Started, s.Core.Clock().Now()); err != nil {
			s.error(w, r, err)
			return
		}
	}
	f, err := s.Core.Declare(r.Context(), bot.DeclareRequest{Actor: a.Person.ID, Level: lvl, Title: in.Title,
		Service: in.Service, Cause: in.Cause, Kind: in.Kind, Started: started, Via: bot.ViaAPI})
	if bot.ErrorCode(err) == bot.ENOTFOUND {
		// An unknown service in the body: the request is wrong, no URL is.
		err = bot.Errorf(bot.EINVALID, "%s", bot.ErrorMessage(err))
	}
	warning, err := sideEffect(f != nil, err)
	if err != nil {
		s.error(w, r, err)
		return
	}
	inc, err := s.incident(r.Context(), f.ID)
	if err != nil {
		s.error(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/incidents/"+strconv.FormatInt(f.ID, 10))
	s.json(w, http.StatusCreated, Answer{Warning: warning, Incident: &inc})
}

// sideEffect splits a use case's error: EUNAVAILABLE when the thing was
// done and recorded (done) is a warning beside a success; anything else
// is the answer.
func sideEffect(done bool, err error) (warning string, _ error) {
	if err == nil {
		return "", nil
	}
	if done && bot.ErrorCode(err) == bot.EUNAVAILABLE {
		return bot.ErrorMessage(err), nil
	}
	return "", err
}

// Answer is what a write returns.
type Answer struct {
	Text string `json:"text,omitempty"`
	// Warning says what failed after the command was done and recorded:
	// the chat platform refused a post, an invitation...
	Warning  string    `json:"warning,omitempty"`
	Incident *Incident `json:"incident"`
}

// command serves POST /api/incidents/{id}/{command}: 200 {"text", "incident"}.
func (s *Server) command(w http.ResponseWriter, r *http.Request) {
	a, ok := s.gate(w, r)
	if !ok {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		s.error(w, r, bot.Errorf(bot.EINVALID, "%q is not a fault id: use the number, as in /api/incidents/3/update", r.PathValue("id")))
		return
	}
	name := r.PathValue("command")
	text, warning, err := s.Run(r.Context(), a, id, name, http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		s.error(w, r, err)
		return
	}
	inc, err := s.incident(r.Context(), id)
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.json(w, http.StatusOK, Answer{Text: text, Warning: warning, Incident: &inc})
}

// Run runs command name on fault id as a, its body JSON as the API takes it:
// what POST /api/incidents/{id}/{name} does, for the web pages' forms too,
// so that both go through the same decoding and the same use case. warning
// is what failed after the command was done and recorded.
func (s *Server) Run(ctx context.Context, a bot.Actor, id int64, name string, body io.Reader) (text, warning string, err error) {
	c, ok := commands[name]
	if !ok {
		return "", "", bot.Errorf(bot.ENOTFOUND, "there is no command %q to POST; the commands are %s (reads are GET /api/incidents/%d)",
			name, strings.Join(commandNames(), ", "), id)
	}
	if s.Core == nil {
		return "", "", bot.Errorf(bot.EUNAVAILABLE, "this server has no core to run commands")
	}
	res, err := c.run(ctx, s.Core, a, id, body, "POST /api/incidents/{id}/"+name)
	warning, err = sideEffect(res.Text != "", err)
	return res.Text, warning, err
}

// decode reads a JSON object into v: an empty body is {}, an unknown field
// or a second value is an error that says so.
func decode(r io.Reader, v any, where string) error {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if errors.Is(err, io.EOF) {
		return nil
	}
	if err == nil {
		if _, err = dec.Token(); errors.Is(err, io.EOF) {
			return nil
		} else if err == nil {
			err = errors.New("more than one JSON value")
		}
	}
	return bodyError(err, v, where)
}

// bodyError turns a decoding error into a one-line answer.
func bodyError(err error, v any, where string) error {
	var (
		tooLarge *http.MaxBytesError
		syntax   *json.SyntaxError
		typ      *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &tooLarge):
		return bot.Errorf(codeTooLarge, "the body is over %d KiB; %s takes a small JSON object", maxBody>>10, where)
	case errors.As(err, &syntax):
		return bot.Errorf(bot.EINVALID, "the body is not JSON: %v (at byte %d)", syntax, syntax.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return bot.Errorf(bot.EINVALID, "the body is not JSON: it ends early")
	case errors.As(err, &typ) && typ.Field == "":
		return bot.Errorf(bot.EINVALID, "the body is a JSON %s; %s takes an object: %s", typ.Value, where, fieldsText(v))
	case errors.As(err, &typ):
		return bot.Errorf(bot.EINVALID, "%s: %s is needed, not a JSON %s", typ.Field, typeName(typ.Type), typ.Value)
	}
	if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return bot.Errorf(bot.EINVALID, "unknown field %s; %s takes %s", f, where, fieldsText(v))
	}
	return bot.Errorf(bot.EINVALID, "the body is not a JSON object: %v", err)
}

// typeName says what JSON a Go type takes.
func typeName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int64:
		return "a number"
	case reflect.Slice:
		return "a list of " + strings.TrimPrefix(typeName(t.Elem()), "a ") + "s"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return t.String()
}
