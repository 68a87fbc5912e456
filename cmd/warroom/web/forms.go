package web

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/warroom/warroom/bot"
)

// formCommands are the commands the war-room page's forms post, with the
// form field that becomes each one's JSON body field: the body is what the
// API takes, run by the API's own Run.
var formCommands = map[string]struct{ field, as string }{
	"checkin":   {},
	"update":    {field: "text", as: "text"},
	"mitigated": {field: "note", as: "note"},
	"resolve":   {field: "note", as: "note"},
}

// form serves POST /incidents/{id}/{do}: the CSRF token first, then who
// acts, then the command; 303 back to the page when it is done, so that it
// works with JavaScript off and a reload does not post it again.
func (s *Server) form(w http.ResponseWriter, r *http.Request) {
	s.init()
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if !s.checkCSRF(r) {
		s.refuseCSRF(w, r)
		return
	}
	tok, in := s.Session(r)
	v := &view{Who: tok.Person, LoggedIn: in, Private: s.Private, CSRF: s.csrf(w, r), Now: s.now(), People: s.people()}
	id, err := faultID(r)
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	c, ok := formCommands[r.PathValue("do")]
	if !ok {
		s.fail(w, r, v, bot.Errorf(bot.ENOTFOUND, "the page has no form %q: it checks in, posts an update, mitigates and resolves", r.PathValue("do")))
		return
	}
	actor, err := s.actor(r, tok, in)
	if err != nil {
		s.fail(w, r, v, err)
		return
	}
	body := map[string]string{}
	if c.field != "" {
		body[c.as] = r.PostFormValue(c.field)
	}
	if s.API == nil {
		s.fail(w, r, v, bot.Errorf(bot.EUNAVAILABLE, "this server has no core to run commands"))
		return
	}
	raw, _ := json.Marshal(body) // a map of strings always marshals
	s.logger().Info("web form", "fault", id, "command", r.PathValue("do"), "person", actor.Person.ID, "logged_in", in)
	text, warning, err := s.API.Run(r.Context(), actor, id, r.PathValue("do"), bytes.NewReader(raw))
	if err != nil {
		// Refused or bad: the page again, saying why, with what was typed.
		d, derr := s.incidentData(r)
		if derr != nil {
			s.fail(w, r, v, err)
			return
		}
		v.Title, v.Data, v.Error = d.Fault.Ref()+" "+d.Fault.Title, d, bot.ErrorMessage(err)
		s.render(w, "incident", statusOf(err), v)
		return
	}
	if warning != "" {
		s.logger().Warn("web form: done, with a warning", "fault", id, "warning", warning, "text", text)
	}
	http.Redirect(w, r, "/incidents/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
}

// actor is who a form acts as: the login's person, or (on loopback only)
// the catalog person the form names.
func (s *Server) actor(r *http.Request, tok bot.APIToken, in bool) (bot.Actor, error) {
	if in {
		return bot.Actor{Person: s.person(tok.Person), Via: bot.ViaWeb}, nil
	}
	if s.Private {
		return bot.Actor{}, bot.Errorf("unauthorized", "log in at /login with a token from api_tokens first; nothing was done")
	}
	as := r.PostFormValue("as")
	if as == "" {
		return bot.Actor{}, bot.Errorf(bot.EINVALID, "say who you are (the \"you are\" list) or log in at /login; nothing was done")
	}
	if s.Catalog == nil {
		return bot.Actor{}, bot.Errorf(bot.EINVALID, "the catalog lists nobody to act as; log in at /login")
	}
	if _, ok := s.Catalog.People[as]; !ok {
		return bot.Actor{}, bot.Errorf(bot.EINVALID, "%q is not in the catalog's people; pick one from the list", as)
	}
	return bot.Actor{Person: s.person(as), Via: bot.ViaWeb}, nil
}

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

func statusOf(err error) int {
	if st, ok := map[string]int{bot.EINVALID: 400, bot.ENOTFOUND: 404, bot.EFORBIDDEN: 403, bot.ECONFLICT: 409,
		bot.EUNAVAILABLE: 503, "unauthorized": 401}[bot.ErrorCode(err)]; ok {
		return st
	}
	return http.StatusInternalServerError
}
