package httpapi

import (
	"context"
	"io"
	"reflect"
	"sort"
	"strings"

	"github.com/warroom/warroom/bot"
)

// command is one POST /api/incidents/{id}/{command}: its body decoded and
// its use case called.
type command struct {
	run func(ctx context.Context, core *bot.Bot, a bot.Actor, id int64, body io.Reader, where string) (bot.Result, error)
}

// op makes a command of a body type and the use case it calls.
func op[T any](do func(ctx context.Context, core *bot.Bot, a bot.Actor, id int64, in T) (bot.Result, error)) command {
	return command{run: func(ctx context.Context, core *bot.Bot, a bot.Actor, id int64, body io.Reader, where string) (bot.Result, error) {
		var in T
		if err := decode(body, &in, where); err != nil {
			return bot.Result{}, err
		}
		return do(ctx, core, a, id, in)
	}}
}

// The bodies of the commands.
type (
	RoleBody struct {
		Role   string `json:"role"`
		Person string `json:"person"`
	}
	InviteBody struct {
		People  []string `json:"people"`
		Service string   `json:"service"`
	}
	CauseBody struct {
		Service string `json:"service"`
	}
	LevelBody struct {
		Level string `json:"level"`
	}
	TaskBody struct {
		Person string `json:"person"`
		Text   string `json:"text"`
	}
	DoneBody struct {
		Task int `json:"task"`
	}
	UpdateBody struct {
		Text string `json:"text"`
	}
	NoteBody struct {
		Note string `json:"note"`
	}
	RunBody struct {
		Plan     string            `json:"plan"`
		Params   map[string]string `json:"params"`
		Override string            `json:"override"`
	}
	ApproveBody struct {
		Run int `json:"run"`
	}
	DenyBody struct {
		Run    int    `json:"run"`
		Reason string `json:"reason"`
	}
)

// commands are the commands that act on a fault, by name.
var commands = map[string]command{
	"checkin": op(func(ctx context.Context, c *bot.Bot, a bot.Actor, id int64, _ struct{}) (bot.Result, error) {
		return c.CheckIn(ctx, a, id)
	}),
	"role": op(func(ctx context.Context, c *bot.Bot, a bot.Actor, id int64, in RoleBody) (bot.Result, error) {
		p, err := person(ctx, c, "person", in.Person)
		if err != nil {
			return bot.Result{}, err
		}
		role := bot.Role(in.Role)
		if r, err := bot.ParseRole(in.Role); err == nil {
			role = r
		}
		return c.AssignRole(ctx, a, id, role, p)
	}),
	"invite": op(func(ctx context.Context, c *bot.Bot, a bot.Actor, id int64, in InviteBody) (bot.Result, error) {
		var people []string
		for _, arg := range in.People {
			p, err := person(ctx, c, "people", arg)
			if err != nil {
				return bot.Result{}, err
			}
			people = append(people, p)
		}
		return c.Invite(ctx, a, id, people, in.Service)
	}),
	"cause": op(func(ctx context.Context, c *bot.Bot, a bot.Actor, id int64, in CauseBody) (bot.Result, error) {
		return c.SetCause(ctx, a, id, in.Service)
	}),
	"level": op(func(ctx context.Context, c *bot.Bot, a bot.Actor, id int64, in LevelBody) (bot.Result, error) {
		lvl := bot.Level(in.Level) // a bad one: Regrade answers as chat does
		if l, err := bot.ParseLevel(in.Level); err == nil {
			lvl = l
		}
		return c.Regrade(ctx, a, id, lvl)
	}),
	"task": op(func(ctx context.Context, c *bot.Bot, a bot.Actor, id int64, in TaskBody) (bot.Result, error) {
		p, err := person(ctx, c, "person", in.Person)
		if err != nil {
			return bot.Result{}, err
		}
		return c.AddTask(ctx, a, id, p, in.Text)
	}),
	"done": op(func(ctx context.Context, c *bot.Bot, a bot.Actor, id int64, in DoneBody) (bot.Result, error) {
		return c.CloseTask(ctx, a, id, in.Task)
	}),
	"update": op(func(ctx context.Context, c *bot.Bot, a bot.Actor, id int64, in UpdateBody) (bot.Result, error) {
		return c.Update(ctx, a, id, in.Text)
	}),
	"call": op(func(ctx context.Context, c *bot.Bot, a bot.Actor, id int64, _ struct{}) (bot.Result, error) {
		return c.Call(ctx, a, id)
	}),
	"mitigated": op(func(ctx context.Context, c *bot.Bot, a bot.Actor, id int64, in NoteBody) (bot.Result, error) {
		return c.Mitigate(ctx, a, id, in.Note)
	}),
	"resolve": op(func(ctx context.Context, c *bot.Bot, a bot.Actor, id int64, in NoteBody) (bot.Result, error) {
		return c.Resolve(ctx, a, id, in.Note)
	}),
	"run": op(func(ctx context.Context, c *bot.Bot, a bot.Actor, id int64, in RunBody) (bot.Result, error) {
		return c.RequestRun(ctx, a, id, bot.RunRequest{Plan: in.Plan, Params: in.Params, Override: in.Override})
	}),
	"approve": op(func(ctx context.Context, c *bot.Bot, a bot.Actor, id int64, in ApproveBody) (bot.Result, error) {
		return c.Approve(ctx, a, id, in.Run)
	}),
	"deny": op(func(ctx context.Context, c *bot.Bot, a bot.Actor, id int64, in DenyBody) (bot.Result, error) {
		return c.Deny(ctx, a, id, in.Run, in.Reason)
	}),
}

// person reads a person argument as chat does ("ben", "@ben", a mention);
// one the catalog does not know is a bad request, named by its field.
func person(ctx context.Context, c *bot.Bot, field, arg string) (string, error) {
	p, err := c.ResolvePerson(ctx, arg)
	switch bot.ErrorCode(err) {
	case "":
		return p.ID, nil
	case bot.ENOTFOUND, bot.EINVALID:
		return "", bot.Errorf(bot.EINVALID, "%s: %s", field, bot.ErrorMessage(err))
	}
	return "", err
}

func commandNames() []string {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// fieldsText lists the JSON fields a body takes, for an error.
func fieldsText(v any) string {
	t := reflect.TypeOf(v)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var names []string
	for i := range t.NumField() {
		if tag, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ","); tag != "" && tag != "-" {
			names = append(names, tag)
		}
	}
	if len(names) == 0 {
		return "no fields: send {} or nothing"
	}
	return "the fields " + strings.Join(names, ", ")
}
