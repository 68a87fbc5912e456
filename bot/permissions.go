package bot

import (
	"sort"
	"strings"
)

// Who may run a command, besides roles (commander, handler, responder) and
// person ids (PRODUCT.md, "Who may do what").
const (
	WhoAnyone      = "anyone"      // whoever asks
	WhoParticipant = "participant" // invited to the war room, or checked in
	WhoAssignee    = "assignee"    // the task's assignee (done only)
)

// Permissions maps a command to who may run it. A config's `permissions:`
// replaces whole rows of the default table.
type Permissions map[string][]string

// defaultPermissions is the spec's table. approve and deny are absent: each
// plan's approval rule decides them.
var defaultPermissions = Permissions{
	"declare": {WhoAnyone}, "list": {WhoAnyone}, "help": {WhoAnyone},
	"status": {WhoAnyone}, "roles": {WhoAnyone}, "tasks": {WhoAnyone}, "timeline": {WhoAnyone},
	"plans": {WhoAnyone}, "runs": {WhoAnyone},
	"checkin": {WhoAnyone},
	"update":  {WhoParticipant}, "call": {WhoParticipant}, "invite": {WhoParticipant},
	"cause": {WhoParticipant}, "run": {WhoParticipant},
	"role": {"commander", "handler"}, "level": {"commander", "handler"}, "task": {"commander", "handler"},
	"mitigated": {"commander", "handler"}, "resolve": {"commander", "handler"},
	"done": {WhoAssignee, "commander", "handler"},
}

// noFault are the commands that act on no fault yet: roles and participants
// mean nothing there, so only anyone or person ids may be named.
var noFault = map[string]bool{"declare": true, "list": true, "help": true}

// DefaultPermissions returns a copy of the default table.
func DefaultPermissions() Permissions {
	out := make(Permissions, len(defaultPermissions))
	for k, v := range defaultPermissions {
		out[k] = append([]string(nil), v...)
	}
	return out
}

// With returns the table with the given rows replaced.
func (p Permissions) With(rows Permissions) Permissions {
	out := make(Permissions, len(p)+len(rows))
	for k, v := range p {
		out[k] = v
	}
	for k, v := range rows {
		out[k] = append([]string(nil), v...)
	}
	return out
}

// CheckPermissionCommand reports whether a command's row may be set by
// `permissions:`; the error says what to write instead.
func CheckPermissionCommand(command string) error {
	switch command {
	case "approve", "deny":
		return Errorf(EINVALID, "who may %s a run is each plan's approval rule (approval: {roles: [...]} in the plan file), not permissions", command)
	}
	if _, ok := defaultPermissions[command]; !ok {
		names := make([]string, 0, len(defaultPermissions))
		for k := range defaultPermissions {
			names = append(names, k)
		}
		sort.Strings(names)
		return Errorf(EINVALID, "unknown command %q%s", command, suggest(command, names))
	}
	return nil
}

// CheckPermissionWho reports whether who may stand in command's row: a
// role, participant, anyone, assignee (done only) or a person id that
// isPerson knows. The error says what may be written instead.
func CheckPermissionWho(command, who string, isPerson func(id string) bool) error {
	who = strings.TrimPrefix(who, "@")
	if noFault[command] {
		if who == WhoAnyone || isPerson(who) {
			return nil
		}
		return Errorf(EINVALID, "%q: %s acts on no fault yet, so only anyone or person ids may be named", who, command)
	}
	switch who {
	case WhoAnyone, WhoParticipant, string(RoleCommander), string(RoleHandler), string(RoleResponder):
		return nil
	case WhoAssignee:
		if command == "done" {
			return nil
		}
		return Errorf(EINVALID, "assignee is only for done (a task's assignee); use a role, participant, anyone or a person id")
	}
	if isPerson(who) {
		return nil
	}
	words := []string{WhoAnyone, WhoParticipant, "commander", "handler", "responder"}
	if command == "done" {
		words = append(words, WhoAssignee)
	}
	return Errorf(EINVALID, "%q is neither a role (commander, handler, responder), participant, anyone%s nor a person id in people:%s",
		who, map[bool]string{true: ", assignee", false: ""}[command == "done"], suggest(who, words))
}

// APIToken is a bearer token for the HTTP API and the web pages: whoever
// presents it acts as Person (`api_tokens:` in the config).
type APIToken struct {
	Name   string // the config key, for logs; never the token itself
	Token  string
	Person string // a person id in the catalog
}
