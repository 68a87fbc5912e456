package config

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode"

	"gopkg.in/yaml.v3"

	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/bot/yamlnode"
)

// Who may do what: the permissions: and api_tokens: sections. Both are read
// after people:, wherever it is in the file, since they name people.

var apiTokenKeys = []string{"token", "person"}

// permissionsSection reads `permissions:`, command -> [who...], and returns
// the rows it sets (the caller applies them to the default table).
func (p *parser) permissionsSection(c *bot.Catalog, f field) bot.Permissions {
	rows := bot.Permissions{}
	isPerson := func(id string) bool {
		_, ok := c.People[id]
		// A misspelt or broken definition is reported already; so is a
		// people: that is not a mapping.
		return ok || p.noPeople || p.people[id]
	}
	for _, g := range p.Mapping("permissions", f.K, f.V, nil) {
		cmd := g.Key
		if err := bot.CheckPermissionCommand(cmd); err != nil {
			p.errorf(g.K, "permissions: %s", bot.ErrorMessage(err))
			continue
		}
		path := yamlnode.Join("permissions", cmd)
		items := p.List(path, g.K, g.V, "[a, b]")
		if n := yamlnode.Deref(g.V); !yamlnode.IsNull(n) && n.Kind != yaml.SequenceNode {
			continue // not a list: reported
		}
		if len(items) == 0 {
			example := string(bot.RoleCommander)
			if bot.CheckPermissionWho(cmd, example, func(string) bool { return false }) != nil {
				example = bot.WhoAnyone // declare, list, help: no fault, so no roles
			}
			p.errorf(g.K, "%s: nobody could run %s; write [%s] or remove the row", path, cmd, example)
			continue
		}
		var who []string
		ok := true
		for i, item := range items {
			ip := fmt.Sprintf("%s[%d]", path, i+1)
			s, good := p.item(ip, item, "")
			if !good {
				ok = false
				continue
			}
			if err := bot.CheckPermissionWho(cmd, s, isPerson); err != nil {
				p.errorf(item, "%s: %s", ip, bot.ErrorMessage(err))
				ok = false
				continue
			}
			s = strings.TrimPrefix(s, "@")
			if slices.Contains(who, s) {
				p.errorf(item, "%s: %s is listed twice", ip, s)
				ok = false
				continue
			}
			who = append(who, s)
		}
		if ok {
			rows[cmd] = who
		}
	}
	return rows
}

// bearerToken reads a bearer token (a secret): one word, which an env
// file's trailing newline is not. The token itself never goes in a message.
func (p *parser) bearerToken(path string, f field, envVar string) (string, string) {
	tok, envVar := p.secret(path, f.K, f.V, envVar)
	if tok != "" && strings.ContainsFunc(tok, unicode.IsSpace) {
		p.errorf(f.K, "%s: the token in %s has a space or a line break in it; a bearer token is one word (e.g. openssl rand -hex 32)", path, envVar)
		return "", envVar
	}
	return tok, envVar
}

// apiTokensSection reads `api_tokens:`, name -> {token, person}: bearer
// tokens for the HTTP API and the web pages, each acting as its person. The
// tokens come from the environment and never appear in a message.
func (p *parser) apiTokensSection(c *bot.Catalog, f field) []bot.APIToken {
	var out []bot.APIToken
	byToken := map[string]string{} // token -> the name that has it
	for _, g := range p.Mapping("api_tokens", f.K, f.V, nil) {
		name := g.Key
		path := yamlnode.Join("api_tokens", name)
		if !p.id("api_tokens", "token", g) {
			continue
		}
		if v := yamlnode.Deref(g.V); !yamlnode.IsNull(v) && v.Kind != yaml.MappingNode {
			p.errorf(g.K, "%s: expected a mapping like {token: \"${%s}\", person: alice}, got %s", path, tokenVar(name), yamlnode.KindName(v))
			continue
		}
		t := bot.APIToken{Name: name}
		s := newSection(path, g.K)
		envVar := tokenVar(name)
		p.keys(s, g.K, g.V, apiTokenKeys, func(kp string, h field) {
			switch h.Key {
			case "token":
				t.Token, envVar = p.bearerToken(kp, h, envVar)
			case "person":
				if v, ok := p.str(kp, h.K, h.V); ok && v != "" {
					// Unknown: reported here, or its broken definition is.
					t.Person, _ = p.person(c, kp, h.K, v)
					s.bad[h.Key] = t.Person == ""
					return
				}
			}
		})
		ok := p.need(s, "token", t.Token, envVar, "")
		ok = p.need(s, "person", t.Person, "", "the person (in people:) the token acts as, e.g. person: alice") && ok
		if t.Token != "" {
			if other, dup := byToken[t.Token]; dup {
				p.errorf(s.lines["token"], "%s: the same token as api_tokens.%s; give each its own", yamlnode.Join(path, "token"), other)
				ok = false
			} else {
				byToken[t.Token] = name
			}
		}
		if ok {
			out = append(out, t)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

var notEnvChar = regexp.MustCompile(`[^A-Z0-9_]+`)

// tokenVar is the environment variable a token's messages suggest:
// WARROOM_CI_TOKEN for the name ci.
func tokenVar(name string) string {
	return "WARROOM_" + notEnvChar.ReplaceAllString(strings.ToUpper(name), "_") + "_TOKEN"
}
