package plans

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSinkCapKeepsWholeCharacters(t *testing.T) {
	t.Parallel()
	var chunks []string
	s := newSink(5, newRedactor(nil), func(c string) { chunks = append(chunks, c) })
	s.Write([]byte("abcdé and more"))
	s.Write([]byte("after the cap\n"))
	s.flush()
	s.finish()
	assert.Equal(t, "abcd", s.text.String())
	assert.Equal(t, []string{"abcd"}, chunks)
	assert.Equal(t, int64(len("é and more")+len("after the cap\n")), s.dropped)
}

func TestSinkLines(t *testing.T) {
	t.Parallel()
	var chunks []string
	s := newSink(1<<20, newRedactor(nil), func(c string) { chunks = append(chunks, c) })
	s.Write([]byte("one\ntw"))
	s.Write([]byte("o\nthree"))
	s.flush()
	s.finish()
	assert.Equal(t, []string{"one\n", "two\n", "three"}, chunks)

	// A line that never ends is passed on anyway, without splitting a
	// character.
	chunks = nil
	long := strings.Repeat("é", maxLine/2) // maxLine bytes
	s = newSink(1<<20, newRedactor(nil), func(c string) { chunks = append(chunks, c) })
	s.Write([]byte("x" + long[:len(long)-1])) // the last é is cut in half
	s.out.drain()
	require.Len(t, chunks, 1)
	assert.True(t, chunks[0] == "x"+strings.Repeat("é", maxLine/2-1), "whole characters only")
	s.Write([]byte(long[len(long)-1:]))
	s.flush()
	s.finish()
	assert.Equal(t, []string{"é"}, chunks[1:])
}

// TestSinkNeverWaitsForItsTaker: while whoever takes the output (chat,
// paced) is stuck, the sink goes on reading and keeping; the taker gets
// every chunk, in order, once it moves again.
func TestSinkNeverWaitsForItsTaker(t *testing.T) {
	t.Parallel()
	stuck := make(chan struct{})
	took := make(chan string, 10)
	var got []string
	s := newSink(1<<20, newRedactor(nil), func(c string) {
		select {
		case took <- c:
		default:
		}
		<-stuck
		got = append(got, c)
	})
	s.Write([]byte("first\n"))
	assert.Equal(t, "first\n", <-took, "the taker is handed the first line, and is stuck on it")
	wrote := make(chan struct{})
	go func() {
		defer close(wrote)
		for i := range 2000 {
			fmt.Fprintf(s, "line %d\n", i)
		}
		s.flush()
	}()
	select {
	case <-wrote:
	case <-time.After(10 * time.Second):
		t.Fatal("the sink waited for its taker")
	}
	assert.Equal(t, 2001, strings.Count(s.text.String(), "\n"), "all of it is kept while the taker is stuck")
	close(stuck)
	s.finish()
	assert.Equal(t, s.text.String(), strings.Join(got, ""), "and the taker got all of it, in order")
}

func TestRedact(t *testing.T) {
	t.Parallel()
	r := newRedactor(map[string]string{"JOBS_TOKEN": "tok-abcdef123", "SHORT": "ab", "URL": "http://jobs:8080"})
	for in, want := range map[string]string{
		"sent tok-abcdef123 to http://jobs:8080/x":      "sent [redacted] to [redacted]/x",
		"ab is too short to hide":                       "ab is too short to hide",
		"Authorization: Basic dXNlcjpwYXNz":             "Authorization: [redacted]",
		`"authorization": "Bearer x.y.z"`:               `"authorization": "[redacted]"`,
		"curl -H 'Bearer abc.def'":                      "curl -H 'Bearer [redacted]'",
		"PASSWORD=hunter2 user=bob":                     "PASSWORD=[redacted] user=bob",
		"db_password: 'two words'":                      "db_password: '[redacted]'",
		"aws_secret_access_key = wJalrXUtnFEMI/K7M":     "aws_secret_access_key = [redacted]",
		"?api-key=123&q=x":                              "?api-key=[redacted]&q=x",
		"clientSecret=abc":                              "clientSecret=[redacted]",
		"xoxb-123-456-abc and xapp-1-A1-2":              "[redacted] and [redacted]",
		"key AKIAIOSFODNN7EXAMPLE, ASIAIOSFODNN7EXAMPL": "key [redacted], ASIAIOSFODNN7EXAMPL",
		"https://bob:s3cret@db.example.com/x":           "https://bob:[redacted]@db.example.com/x",
		"max_tokens: 5, keys: 3, monkey=business":       "max_tokens: 5, keys: 3, monkey=business",
		"no secrets\nat all\n":                          "no secrets\nat all\n",
		"line one\ntoken=x\nline three":                 "line one\ntoken=[redacted]\nline three",
	} {
		assert.Equal(t, want, r.Redact(in), in)
	}
}

func TestRedactTail(t *testing.T) {
	t.Parallel()
	r := newRedactor(map[string]string{"T": "tok-abcdef123"})
	assert.Equal(t, "token is [redacted]", r.Tail("token is tok-abc"))
	assert.Equal(t, "ends with tok", r.Tail("ends with tok"), "too little of it to tell")
}

func TestFillURL(t *testing.T) {
	t.Parallel()
	vals := map[string]string{"a": "x/y z", "b": "1&c=2", "dots": "..", "empty": ""}
	value := func(n string) (string, error) { return vals[n], nil }
	got, err := fillURL("http://h/p/{{a}}/r?q={{b}}&s={{a}}", value)
	require.NoError(t, err)
	assert.Equal(t, "http://h/p/x%2Fy%20z/r?q=1%26c%3D2&s=x%2Fy+z", got)
	_, err = fillURL("http://h/p/{{dots}}/r", value)
	assert.EqualError(t, err, `parameter dots=".." cannot be part of the URL's path`)
	_, err = fillURL("http://h/p/{{empty}}/r", value)
	assert.Error(t, err)
	got, err = fillURL("http://h/p?e={{empty}}", value)
	require.NoError(t, err)
	assert.Equal(t, "http://h/p?e=", got)
}

func TestJSONString(t *testing.T) {
	t.Parallel()
	assert.Equal(t, `a\"b\\c\n<&>\u0000`, jsonString("a\"b\\c\n<&>\x00"))
	body, err := fillBody(`{"v": "{{v}}"}`, nil, func(string) (string, error) { return "\", \"admin\": true, \"x\": \"", nil })
	require.NoError(t, err)
	assert.Equal(t, `{"v": "\", \"admin\": true, \"x\": \""}`, body)
	form, err := fillBody(`a={{v}}`, map[string]string{"content-type": "application/x-www-form-urlencoded"}, func(string) (string, error) { return "1&b=2", nil })
	require.NoError(t, err)
	assert.Equal(t, "a=1%26b%3D2", form)
}

func TestExpandEnv(t *testing.T) {
	t.Parallel()
	used := map[string]string{}
	env := map[string]string{"A": "1", "B": "two"}
	got, err := expandEnv("x${A}y${B}z$C", func(k string) string { return env[k] }, used)
	require.NoError(t, err)
	assert.Equal(t, "x1ytwoz$C", got)
	assert.Equal(t, env, used)
	_, err = expandEnv("${A}${NOPE}${ALSO}", func(k string) string { return env[k] }, used)
	assert.EqualError(t, err, "NOPE, ALSO is not set in warroom's environment")
}
