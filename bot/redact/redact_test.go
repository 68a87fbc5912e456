package redact_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/warroom/warroom/bot/redact"
)

// Fakes in the shape of each format: none of them is a real credential.
const (
	ghp     = "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"
	gho     = "gho_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"
	ghPAT   = "github_pat_11ABCDEFG0123456789abc_defghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456"
	glpat   = "glpat-xYz12AbC34dEf56GhI78jK"
	jwt     = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
	skLive  = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"
	rkLive  = "rk_live_51H8xYzAbCdEfGhIjKlMnOp"
	akia    = "AKIAIOSFODNN7EXAMPLE"
	xoxb    = "xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUvWx"
	xapp    = "xapp-1-A0123456789-0123456789012-abcdef0123456789"
	gitSHA  = "3f2a9c1e7b4d8a6f0e5c2b1a9d8e7f6a5b4c3d2e"
	hexKey  = "4f3c2a1b9e8d7c6b5a4f3e2d1c0b9a8f"
	b64Key  = "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5QUJD"
	awsSec  = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	uuid    = "550e8400-e29b-41d4-a716-446655440000"
	pemBody = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\nMzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu\nNMoSfm76oqFvAp8Gy0iz5sxjZmSnXyCdPEovGhLa0VzMaQ8s+CLOyS56YyCFGeJZ"
)

func TestRedact(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ name, in, want string }{
		// Token formats, wherever they are.
		{"github classic", "pushing with " + ghp + " now", "pushing with [redacted] now"},
		{"github oauth", "token " + gho, "token [redacted]"},
		{"github fine-grained", "GH=" + ghPAT, "GH=[redacted]"},
		{"gitlab", "clone https://oauth2:" + glpat + "@gitlab.example.com/x.git", "clone https://oauth2:[redacted]@gitlab.example.com/x.git"},
		{"gitlab bare", "using " + glpat + ".", "using [redacted]."},
		{"jwt", "session " + jwt + " expired", "session [redacted] expired"},
		{"stripe live", "charging with " + skLive, "charging with [redacted]"},
		{"stripe restricted", "(" + rkLive + ")", "([redacted])"},
		{"aws access key id", "key id " + akia + ",", "key id [redacted],"},
		{"slack bot", "posting as " + xoxb, "posting as [redacted]"},
		{"slack app", xapp + " connected", "[redacted] connected"},
		{"bearer", "curl -H 'Authorization: Bearer abc.def'", "curl -H 'Authorization: [redacted]'"},
		{"bearer alone", "sent Bearer abc.def-ghi", "sent Bearer [redacted]"},
		{"url password", "postgres://app:pa55w0rd@db:5432/app", "postgres://app:[redacted]@db:5432/app"},
		// Names whose value is always secret, however plain.
		{"password", "PASSWORD=hunter2 user=bob", "PASSWORD=[redacted] user=bob"},
		{"password quoted", `db_password: 'two words'`, `db_password: '[redacted]'`},
		{"secret json", `{"client_secret": "abc", "id": 3}`, `{"client_secret": "[redacted]", "id": 3}`},
		{"token short", "token=x", "token=[redacted]"},
		{"api key", "?api-key=123&q=x", "?api-key=[redacted]&q=x"},
		{"aws secret", "aws_secret_access_key = " + awsSec, "aws_secret_access_key = [redacted]"},
		{"credentials", "CREDENTIALS=alice:wonderland", "CREDENTIALS=[redacted]"},
		// Ambiguous names: only a random-looking value.
		{"key random base64", "SIGNING_KEY=" + b64Key, "SIGNING_KEY=[redacted]"},
		{"key random hex", "ENCRYPTION_KEY=" + hexKey, "ENCRYPTION_KEY=[redacted]"},
		{"key sha under a key name", "cache_key=" + gitSHA, "cache_key=[redacted]"},
		{"key yaml", "  signing_key: " + b64Key, "  signing_key: [redacted]"},
		{"auth random", "X_AUTH=" + awsSec[:24], "X_AUTH=[redacted]"},
		// A private key, on one line (JSON) and on several.
		{"pem one line", `"private": "-----BEGIN PRIVATE KEY-----\nMIIEvQIB\n-----END PRIVATE KEY-----\n"`,
			`"private": "-----BEGIN PRIVATE KEY-----[redacted]-----END PRIVATE KEY-----\n"`},
		{"pem block", "key:\n-----BEGIN RSA PRIVATE KEY-----\n" + pemBody + "\n-----END RSA PRIVATE KEY-----\nafter",
			"key:\n-----BEGIN RSA PRIVATE KEY-----\n[redacted]\n-----END RSA PRIVATE KEY-----\nafter"},
		{"pem encrypted", "-----BEGIN ENCRYPTED PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n\n" + pemBody + "\n-----END ENCRYPTED PRIVATE KEY-----\n",
			"-----BEGIN ENCRYPTED PRIVATE KEY-----\n[redacted]\n-----END ENCRYPTED PRIVATE KEY-----\n"},
		{"pem openssh, logged", "12:00 app: -----BEGIN OPENSSH PRIVATE KEY-----\n12:00 app: b3BlbnNzaC1rZXktdjEAAAAABG5vbmU\n12:00 app: -----END OPENSSH PRIVATE KEY-----",
			"12:00 app: -----BEGIN OPENSSH PRIVATE KEY-----\n[redacted]\n-----END OPENSSH PRIVATE KEY-----"},
		{"pem never ended", "-----BEGIN PRIVATE KEY-----\n" + pemBody + "\nerror: cut short\nmore", "-----BEGIN PRIVATE KEY-----\n[redacted]\nerror: cut short\nmore"},
		{"pem rest of line", "-----BEGIN PRIVATE KEY-----MIIEvQIBADANBgkqhkiG9w0B\nMzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dV\n-----END PRIVATE KEY-----",
			"-----BEGIN PRIVATE KEY-----[redacted]\n-----END PRIVATE KEY-----"},
		{"several on a line", "a=" + ghp + " b=" + skLive + " password=x", "a=[redacted] b=[redacted] password=[redacted]"},

		// Not secrets: ordinary words and values, names that only look
		// like keys, and the ids people need to see.
		{"words", "the key to the monkey's keyboard: pass the token ring", "the key to the monkey's keyboard: pass the token ring"},
		{"counts", "max_tokens: 5, keys: 3, monkey=business", "max_tokens: 5, keys: 3, monkey=business"},
		{"sort key", "sort_key=created_at primary_key=id", "sort_key=created_at primary_key=id"},
		{"key name", "key=production-eu-west-1 selector key: kubernetes.io/hostname", "key=production-eu-west-1 selector key: kubernetes.io/hostname"},
		{"key path", "ssh_key=/home/alice/.ssh/id_ed25519", "ssh_key=/home/alice/.ssh/id_ed25519"},
		{"test results", "PASS=12 FAIL=0 passed: 12", "PASS=12 FAIL=0 passed: 12"},
		{"git sha", "HEAD is now at " + gitSHA[:7] + " deploy " + gitSHA, "HEAD is now at " + gitSHA[:7] + " deploy " + gitSHA},
		{"git sha named", "commit=" + gitSHA + " sha: " + gitSHA, "commit=" + gitSHA + " sha: " + gitSHA},
		{"digest", "image@sha256:" + gitSHA + gitSHA[:24], "image@sha256:" + gitSHA + gitSHA[:24]},
		{"uuid", "request " + uuid + " done", "request " + uuid + " done"},
		{"base64 alone", "payload " + b64Key, "payload " + b64Key},
		{"ghp too short", "ghp_short and github_pat_x", "ghp_short and github_pat_x"},
		{"sk word", "task_live_long and disk_test_ok", "task_live_long and disk_test_ok"},
		{"xoxo", "xoxo-gossip-girl-forever", "xoxo-gossip-girl-forever"},
		{"glued", "id=0" + ghp + " X" + skLive, "id=0[redacted] X[redacted]"},
		{"eyJ once", "eyJhbGciOiJIUzI1NiJ9 is a header", "eyJhbGciOiJIUzI1NiJ9 is a header"},
		{"akia short", "ASIAIOSFODNN7EXAMPL", "ASIAIOSFODNN7EXAMPL"},
		{"public key", "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n-----END PUBLIC KEY-----",
			"-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n-----END PUBLIC KEY-----"},
		{"marker", "token=[redacted] and [redacted]", "token=[redacted] and [redacted]"},
		{"nothing", "no secrets\nat all\n", "no secrets\nat all\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := redact.String(c.in)
			assert.Equal(t, c.want, got)
			assert.Equal(t, got, redact.String(got), "idempotent")
		})
	}
}

func TestRedactValues(t *testing.T) {
	t.Parallel()
	r := redact.New("tok-abcdef123", "ab", "http://jobs:8080", "dact")
	assert.Equal(t, "sent [redacted] to [redacted]/x; ab stays", r.Redact("sent tok-abcdef123 to http://jobs:8080/x; ab stays"))
	assert.Equal(t, "a [redacted] b", r.Redact("a [redacted] b"), "a value inside the marker is not looked for")
	assert.Equal(t, "token is [redacted]", r.Tail("token is tok-abc"))
	assert.Equal(t, "ends with tok", r.Tail("ends with tok"), "too little of it to tell")
}

// TestRedactStream: a private key split across chunks is hidden as if it
// came whole, and what follows it is not.
func TestRedactStream(t *testing.T) {
	t.Parallel()
	whole := "start\n-----BEGIN EC PRIVATE KEY-----\n" + pemBody + "\n-----END EC PRIVATE KEY-----\nend password=x\n"
	want := redact.String(whole)
	assert.Equal(t, "start\n-----BEGIN EC PRIVATE KEY-----\n[redacted]\n-----END EC PRIVATE KEY-----\nend password=[redacted]\n", want)
	lines := strings.SplitAfter(whole, "\n")
	for size := 1; size <= len(lines); size++ {
		r := redact.New()
		var got strings.Builder
		for i := 0; i < len(lines); i += size {
			got.WriteString(r.Redact(strings.Join(lines[i:min(i+size, len(lines))], "")))
		}
		assert.Equal(t, want, got.String(), "chunks of %d lines", size)
	}
}

func TestRandom(t *testing.T) {
	t.Parallel()
	for _, v := range []string{b64Key, hexKey, gitSHA, awsSec, "Xy9pQ2mZ7rT4vK1wL8nB"} {
		assert.True(t, redact.Random(v), v)
	}
	for _, v := range []string{"created_at", "production-eu-west-1", "kubernetes.io/hostname", "/etc/ssl/private/key.pem",
		"https://vault.example.com/v1/x", "aaaaaaaaaaaaaaaaaaaaaaaa", "ThisIsAnOrdinaryName", "0123456789012345678", "[redacted]"} {
		assert.False(t, redact.Random(v), v)
	}
}

// FuzzRedact: redaction never panics, is idempotent, and never lets
// through a token format it knows when the token stands on its own line.
func FuzzRedact(f *testing.F) {
	for _, s := range []string{"", "plain", "password=x", ghp, jwt, "-----BEGIN PRIVATE KEY-----\n" + pemBody + "\n-----END PRIVATE KEY-----",
		"-----BEGIN PRIVATE KEY-----", "a\n-----BEGIN PRIVATE KEY-----x\n[redacted]\n", "key=" + b64Key, "Authorization: Bearer [redacted]x",
		`"private_key": "-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----"`, "https://u:p@h", "token=\"a b\" key='" + hexKey + "'"} {
		f.Add(s, ghp)
	}
	f.Fuzz(func(t *testing.T, s, value string) {
		once := redact.String(s)
		if twice := redact.String(once); twice != once {
			t.Fatalf("not idempotent:\n in: %q\nonce: %q\ntwice: %q", s, once, twice)
		}
		r := redact.New(value)
		once = r.Redact(s)
		if twice := redact.New(value).Redact(once); twice != once {
			t.Fatalf("not idempotent with value %q:\n in: %q\nonce: %q\ntwice: %q", value, s, once, twice)
		}
		if got := redact.String(s + "\n" + ghp + "\n"); strings.HasSuffix(got, ghp+"\n") {
			t.Fatalf("a GitHub token after %q was let through: %q", s, got)
		}
	})
}
