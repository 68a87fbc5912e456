package bot

import (
	"context"
	"fmt"
	"strings"
)

// RunRequest asks for a plan to be run in a war room.
type RunRequest struct {
	Plan     string
	Params   map[string]string
	Override string // the reason, for a plan more severe than the fault
}

// RequestRun records a request to run a plan and posts its approval card.
// A plan whose impact is more severe than the fault's level needs an
// override with a reason: asked for by the commander, it then needs one
// approval from someone else among the plan's roles and the handler; asked
// for by anyone else, the commander's.
func (b *Bot) RequestRun(ctx context.Context, a Actor, id int64, req RunRequest) (Result, error) {
	override := strings.TrimSpace(req.Override)
	return b.act(ctx, a, id, ask{command: "run"}, func(f *Fault) (string, error) {
		p, err := b.plan(req.Plan)
		if err != nil {
			return "", err
		}
		if b.plans.runner == nil {
			return "", Errorf(EUNAVAILABLE, "plans cannot run here: warroom has no runner configured")
		}
		params, err := p.Bind(req.Params)
		if err != nil {
			return "", err
		}
		if err := b.checkPlanFiles(p); err != nil {
			return "", Errorf(ECONFLICT, "%s; nothing is asked for: reload the plans (warroom plans reload), then ask again", ErrorMessage(err))
		}
		rule, err := b.runRule(f, p, a.Person.ID, override)
		if err != nil {
			return "", err
		}
		now := b.clock.Now()
		n := len(f.Runs) + 1
		ev := Event{Type: EventRunRequested, Actor: a.Person.ID, Run: n, Plan: p.Name, Version: p.Version,
			Params: params, Approval: &rule, Until: now.Add(rule.Expires), Text: override}
		if err := b.record(ctx, f, ev); err != nil {
			return "", err
		}
		run, _ := f.Run(n)
		card := b.approvalCard(f, p, run)
		if _, err := b.adapter.Post(ctx, f.Channel, card); err != nil {
			return card.Text, Errorf(EUNAVAILABLE, "run #%d is recorded, but its approval card could not be posted: %v; /%s approve %d still works", n, err, b.opts.Command, n)
		}
		return card.Text, nil
	})
}

// checkPlanFiles asks the runner, where it can tell, whether the plan's
// scripts are still what its version was made of: a plan is neither asked
// for nor approved blind.
func (b *Bot) checkPlanFiles(p *Plan) error {
	c, ok := b.plans.runner.(PlanChecker)
	if !ok {
		return nil
	}
	if err := c.CheckPlan(p); err != nil {
		return Errorf(ECONFLICT, "%v", err)
	}
	return nil
}

// runRule is the approval rule a request is held to: the plan's, or the
// override's when the plan may cause worse than the fault.
func (b *Bot) runRule(f *Fault, p *Plan, requester, override string) (Approval, error) {
	rule := p.Approval
	rule.Count = max(rule.Count, 1)
	if rule.Expires <= 0 {
		rule.Expires = DefaultApprovalExpiry
	}
	if !MoreSevere(p.Impact, f.Level) {
		if override != "" {
			return rule, Errorf(EINVALID, "override is only for a plan more severe than the fault (plan %s is %s, the fault %s); drop it", p.Name, p.Impact, f.Level)
		}
		return rule, nil
	}
	why := fmt.Sprintf("plan %s may itself cause %s-level impact, more severe than this %s fault", p.Name, p.Impact, f.Level)
	if override == "" {
		return rule, Errorf(EFORBIDDEN, "%s; ask again adding override=\"<reason>\": it then needs the commander's approval (%s), or, asked for by the commander, someone else's", why, b.mention(f.Commander))
	}
	rule.Self = false
	if requester == f.Commander {
		rule.Roles = unionRoles(rule.Roles, RoleHandler)
		return rule, nil
	}
	rule.Roles, rule.Count = []Role{RoleCommander}, 1
	return rule, nil
}

// Approve approves a run. The run starts when enough approvals stand: an
// approval counts only while its approver still holds an approving role,
// and the impact rule is judged again, so a re-grade since the request is
// seen. Approvals arriving together are serialised by the fault's lock:
// one starts the run, the others find it running.
func (b *Bot) Approve(ctx context.Context, a Actor, id int64, n int) (Result, error) {
	return b.act(ctx, a, id, ask{command: "approve"}, func(f *Fault) (string, error) {
		run, err := b.pendingRun(ctx, f, n)
		if err != nil {
			return "", err
		}
		actor := a.Person.ID
		if !b.mayApprove(f, run, actor) {
			return "", Errorf(EFORBIDDEN, "only the %s may approve run #%d (now %s); you are not", rolesText(run.Approval.Roles), run.Num, b.mentions(b.approvers(f, run)))
		}
		if !run.Approval.Self && actor == run.RequestedBy {
			return "", Errorf(EFORBIDDEN, "you asked for run #%d, and plan %s needs someone else's approval: %s", run.Num, run.Plan, b.whoElse(f, run))
		}
		if run.Approved(actor) {
			return "", Errorf(EINVALID, "you approved run #%d already; it needs %d more, from %s", run.Num, run.Approval.Count-len(b.standing(f, run)), b.mentions(b.approvers(f, run)))
		}
		p, err := b.plan(run.Plan)
		if err != nil {
			return "", err
		}
		if p.Version != run.Version {
			return "", Errorf(ECONFLICT, "plan %s changed since run #%d was asked for (%s, now %s); deny it and ask again: %s",
				p.Name, run.Num, run.Version, p.Version, b.runCommand(run))
		}
		if err := b.checkPlanFiles(p); err != nil {
			return "", Errorf(ECONFLICT, "run #%d is not approved: %s; deny it, reload the plans (warroom plans reload) and ask again: %s", run.Num, ErrorMessage(err), b.runCommand(run))
		}
		standing := b.standing(f, run)
		start := len(standing)+1 >= run.Approval.Count
		if start && MoreSevere(p.Impact, f.Level) && run.Override == "" {
			return "", Errorf(EFORBIDDEN, "run #%d cannot start: %s is now %s, and plan %s may itself cause %s-level impact; deny it and ask again with override=\"<reason>\"",
				run.Num, f.Ref(), f.Level, p.Name, p.Impact)
		}
		evs := []Event{{Type: EventRunApproved, Actor: actor, Run: run.Num}}
		if start {
			evs = append(evs, Event{Type: EventRunStarted, Actor: ActorBot, Run: run.Num, Owner: b.self()})
		}
		if err := b.record(ctx, f, evs...); err != nil {
			return "", err
		}
		if !start {
			return b.announce(ctx, f, "👍 %s approved run #%d (%s): %d more approval needed, from %s%s",
				b.mention(actor), run.Num, run.Plan, run.Approval.Count-len(standing)-1, b.mentions(b.approvers(f, run)), b.lapsed(f, run)), nil
		}
		msg := b.announce(ctx, f, "✅ run #%d (%s) approved by %s — starting", run.Num, run.Plan, b.mentions(append(standing, actor)))
		b.continueRun(ctx, f.ID, run.Num)
		return msg, nil
	})
}

// whoElse names who may approve a run now, or says how to get someone.
func (b *Bot) whoElse(f *Fault, run *Run) string {
	if who := b.approvers(f, run); len(who) > 0 {
		return b.mentions(who)
	}
	return fmt.Sprintf("nobody else holds an approving role (%s); give one with /%s role <role> @person", rolesText(run.Approval.Roles), b.opts.Command)
}

// pendingRun finds run n and makes sure it still waits for a decision,
// recording its expiry if that time has passed.
func (b *Bot) pendingRun(ctx context.Context, f *Fault, n int) (*Run, error) {
	run, ok := f.Run(n)
	if !ok {
		return nil, Errorf(ENOTFOUND, "there is no run #%d%s", n, pendingRunsHint(f))
	}
	if run.Status != RunPending {
		return nil, b.notPending(run)
	}
	if run.Expired(b.clock.Now()) {
		if err := b.record(ctx, f, Event{Type: EventRunExpired, Actor: ActorBot, Run: run.Num}); err != nil {
			return nil, err
		}
		return nil, b.notPending(run)
	}
	return run, nil
}

// standing are the approvals of a run that still count: their approvers
// hold an approving role now.
func (b *Bot) standing(f *Fault, run *Run) []string {
	var out []string
	for _, ap := range run.Approvers {
		if b.mayApprove(f, run, ap) && (run.Approval.Self || ap != run.RequestedBy) {
			out = append(out, ap)
		}
	}
	return out
}

// lapsed says whose approvals no longer count, if anyone's.
func (b *Bot) lapsed(f *Fault, run *Run) string {
	standing := b.standing(f, run)
	var gone []string
	for _, ap := range run.Approvers {
		if !contains(standing, ap) {
			gone = append(gone, ap)
		}
	}
	if len(gone) == 0 {
		return ""
	}
	return fmt.Sprintf(" (%s's approval no longer counts: no longer %s)", b.mentions(gone), rolesText(run.Approval.Roles))
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// Deny refuses a run: its approvers, the commander, or its requester (who
// withdraws it) may.
func (b *Bot) Deny(ctx context.Context, a Actor, id int64, n int, reason string) (Result, error) {
	reason = strings.TrimSpace(reason)
	return b.act(ctx, a, id, ask{command: "deny"}, func(f *Fault) (string, error) {
		run, err := b.pendingRun(ctx, f, n)
		if err != nil {
			return "", err
		}
		actor := a.Person.ID
		if !b.mayApprove(f, run, actor) && actor != run.RequestedBy && actor != f.Commander {
			return "", Errorf(EFORBIDDEN, "only the %s, the commander or the requester may deny run #%d", rolesText(run.Approval.Roles), run.Num)
		}
		if err := b.record(ctx, f, Event{Type: EventRunDenied, Actor: actor, Run: run.Num, Text: reason}); err != nil {
			return "", err
		}
		return b.announce(ctx, f, "🚫 run #%d (%s) denied by %s%s", run.Num, run.Plan, b.mention(actor), colon(reason)), nil
	})
}
