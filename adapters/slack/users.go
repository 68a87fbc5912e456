package slack

import (
	"context"
	"errors"
	"strings"
	"sync"

	"github.com/slack-go/slack"

	"github.com/warroom/warroom/bot"
)

// userCache remembers users.lookupByEmail and users.info answers: people
// rarely change their address during an incident.
type userCache struct {
	mu      sync.Mutex
	byEmail map[string]string // lower-case email → user id
	emails  map[string]string // user id → email
}

func newUserCache() *userCache {
	return &userCache{byEmail: map[string]string{}, emails: map[string]string{}}
}

func (c *userCache) idByEmail(email string) (string, bool) {
	if email == "" {
		return "", false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	uid, ok := c.byEmail[strings.ToLower(email)]
	return uid, ok
}

func (c *userCache) email(uid string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.emails[uid]
	return e, ok
}

func (c *userCache) put(uid, email string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.emails[uid] = email
	if email != "" {
		c.byEmail[strings.ToLower(email)] = uid
	}
}

// userID is a person's Slack user id: from the catalog, else by email
// (users.lookupByEmail, cached).
func (a *Adapter) userID(ctx context.Context, p bot.Person) (string, error) {
	if p.Account("slack") != "" {
		return p.Account("slack"), nil
	}
	if p.Email == "" {
		return "", errors.New("no Slack id or email in the catalog")
	}
	if uid, ok := a.users.idByEmail(p.Email); ok {
		return uid, nil
	}
	var u *slack.User
	err := a.do(ctx, "users.lookupByEmail", func(ctx context.Context) (err error) {
		u, err = a.api.GetUserByEmailContext(ctx, p.Email)
		return err
	})
	if errCode(err) == "users_not_found" {
		return "", errors.New("no Slack user with " + p.Email)
	}
	if err != nil {
		return "", err
	}
	a.users.put(u.ID, p.Email)
	return u.ID, nil
}

// UserEmail implements bot.Directory with users.info (cached).
func (a *Adapter) UserEmail(ctx context.Context, uid string) (string, error) {
	if e, ok := a.users.email(uid); ok {
		return e, nil
	}
	var u *slack.User
	err := a.do(ctx, "users.info", func(ctx context.Context) (err error) {
		u, err = a.api.GetUserInfoContext(ctx, uid)
		return err
	})
	if err != nil {
		return "", err
	}
	a.users.put(uid, u.Profile.Email)
	return u.Profile.Email, nil
}
