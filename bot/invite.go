package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Invitations: who is invited to a war room, in one adapter call, and
// what is recorded of it.

// invite invites people to the war room who are not in it yet, in one
// adapter call, and records who was invited (or could not be). It returns
// the ids invited.
func (b *Bot) invite(ctx context.Context, f *Fault, actor string, people []invitee) ([]string, error) {
	plan := b.planInvites(f, actor, people)
	if len(plan.people) == 0 {
		return nil, nil
	}
	return plan.finish(ctx, b, f, plan.call(ctx, b, f))
}

// invitePlan is an invitation worked out but not yet made: split from the
// adapter call so that declare can overlap the call with the kickoff.
type invitePlan struct {
	people []Person
	events []Event
}

func (b *Bot) planInvites(f *Fault, actor string, people []invitee) invitePlan {
	var (
		plan invitePlan
		seen = map[string]bool{}
	)
	for _, iv := range people {
		if iv.id == "" || seen[iv.id] || f.Invited(iv.id) {
			continue
		}
		seen[iv.id] = true
		plan.people = append(plan.people, b.person(iv.id))
		plan.events = append(plan.events, Event{Type: EventInvited, Actor: actor, Person: iv.id, Text: iv.reason})
	}
	return plan
}

func (p invitePlan) ids() []string {
	ids := make([]string, len(p.people))
	for i, pp := range p.people {
		ids[i] = pp.ID
	}
	return ids
}

// call makes the adapter call. It touches no fault state, so it may run
// beside other calls.
func (p invitePlan) call(ctx context.Context, b *Bot, f *Fault) error {
	if len(p.people) == 0 {
		return nil
	}
	if f.Channel == "" {
		return Errorf(EINTERNAL, "%s has no channel to invite to", f.Ref())
	}
	return b.adapter.Invite(ctx, f.Channel, p.people)
}

// finish records the outcome of call and returns the ids invited.
func (p invitePlan) finish(ctx context.Context, b *Bot, f *Fault, callErr error) ([]string, error) {
	bt := b.begin(f)
	ids, err := p.stage(b, &bt, callErr)
	if rerr := b.commit(ctx, &bt); rerr != nil {
		return nil, rerr
	}
	return ids, err
}

// stage stages the outcome of call in bt and returns the ids invited, or
// an EUNAVAILABLE error saying whom the platform refused.
func (p invitePlan) stage(b *Bot, bt *batch, callErr error) ([]string, error) {
	if len(p.people) == 0 {
		return nil, nil
	}
	var some *InviteError
	if errors.As(callErr, &some) && len(some.Failed) < len(p.people) {
		return p.stagePartly(b, bt, some)
	}
	if callErr != nil {
		b.log.Warn("invite failed", "fault", bt.f.ID, "err", callErr)
		evs := append([]Event(nil), p.events...)
		for i := range evs {
			evs[i].Type, evs[i].Text = EventInviteFailed, callErr.Error()
		}
		b.stage(bt, evs...)
		return nil, Errorf(EUNAVAILABLE, "could not invite %s: %v", b.mentions(p.ids()), callErr)
	}
	b.stage(bt, p.events...)
	return p.ids(), nil
}

// stagePartly stages an invitation the platform made for some and refused
// for others (InviteError): each as it went.
func (p invitePlan) stagePartly(b *Bot, bt *batch, ie *InviteError) ([]string, error) {
	b.log.Warn("invite failed for some", "fault", bt.f.ID, "err", ie)
	evs := append([]Event(nil), p.events...)
	var ok, failed []string
	var why []string
	for i := range evs {
		err, refused := ie.Failed[evs[i].Person]
		if !refused {
			ok = append(ok, evs[i].Person)
			continue
		}
		evs[i].Type, evs[i].Text = EventInviteFailed, err.Error()
		failed = append(failed, evs[i].Person)
		why = append(why, fmt.Sprintf("%s: %v", b.mention(evs[i].Person), err))
	}
	b.stage(bt, evs...)
	if len(failed) == 0 {
		return ok, nil
	}
	return ok, Errorf(EUNAVAILABLE, "could not invite %s (%s); invited %s", b.mentions(failed), strings.Join(why, "; "), b.mentions(ok))
}

// invitee is someone to invite and why.
type invitee struct {
	id     string
	reason string
}

// contactsOf lists a service's contacts as invitees.
func (b *Bot) contactsOf(service, why string) []invitee {
	s, ok := b.catalog.Services[service]
	if !ok {
		return nil
	}
	out := make([]invitee, 0, len(s.Contacts))
	for _, c := range s.Contacts {
		out = append(out, invitee{c, why})
	}
	return out
}
